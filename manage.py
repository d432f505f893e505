"""vnsearch command line: a thin shell over the `search` library (SPEC §6)."""
from __future__ import annotations

import json
import re
import sys

import click

from search import open_index, rebuild as rebuild_index, update as update_index
from search.articles import UNKNOWN
from search.config import Config, is_loopback
from search.errors import VnsearchError
from search.export import FORMATS, export_lines
from search.results import SORTS, SearchRequest

_TAG = re.compile(r"<[^>]+>")


class Cli(click.Group):
    """Maps every user error to one Vietnamese line on stderr and a non-zero exit, in one place."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except VnsearchError as error:
            click.echo(f"lỗi: {error}", err=True)
            sys.exit(1)
        except click.exceptions.NoSuchOption as error:
            click.echo(f"lỗi: không có tùy chọn {error.option_name}", err=True)
            sys.exit(2)
        except click.BadParameter as error:
            click.echo(f"lỗi: giá trị không hợp lệ cho {error.param_hint or 'tham số'}: {error.message}", err=True)
            sys.exit(2)
        except click.UsageError as error:
            click.echo(f"lỗi: {error.format_message()}", err=True)
            sys.exit(2)
        except click.exceptions.Abort:
            click.echo("đã dừng", err=True)
            sys.exit(130)
        except KeyboardInterrupt:
            click.echo("đã dừng; chỉ mục trước đó vẫn được giữ nguyên", err=True)
            sys.exit(130)


def _config(index: str | None, source: str | None = None) -> Config:
    return Config.from_env(index_dir=index, source_dir=source)


index_option = click.option("--index", "index", metavar="DIR", help="Thư mục chỉ mục (mặc định index_data/index/).")
source_option = click.option("--source", "source", metavar="DIR", help="Thư mục bài viết (mặc định index_data/articles/).")


@click.group(cls=Cli, help="vnsearch — tìm kiếm toàn văn tin tức tiếng Việt.")
def cli():
    pass


def _progress_bar():
    """A tqdm bar on a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="tệp", desc="Đánh chỉ mục", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return progress, bar.close


def _report(summary) -> None:
    for skipped in summary.skipped:
        click.echo(f"cảnh báo: bỏ qua {skipped.item}: {skipped.reason}", err=True)
    click.echo(summary.line())


@cli.command(help="Dựng lại toàn bộ chỉ mục từ thư mục bài viết (thế chỗ nguyên tử).")
@source_option
@index_option
@click.option("--procs", type=click.IntRange(1, 64), default=1, show_default=True, help="Số tiến trình.")
def rebuild(source, index, procs):
    config = _config(index, source)
    progress, close = _progress_bar()
    try:
        summary = rebuild_index(config.source_dir, config.index_dir, procs=procs, progress=progress)
    finally:
        close()
    _report(summary)


@cli.command(help="Thêm bài mới, cập nhật bài đã sửa, gỡ bài đã xoá.")
@source_option
@index_option
def update(source, index):
    config = _config(index, source)
    progress, close = _progress_bar()
    try:
        summary = update_index(config.source_dir, config.index_dir, progress=progress)
    finally:
        close()
    for skipped in summary.skipped:
        click.echo(f"cảnh báo: bỏ qua {skipped.item}: {skipped.reason}", err=True)
    click.echo(f"updated {summary.indexed} articles, removed {summary.removed} files, "
               f"skipped {len(summary.skipped)}, in {summary.seconds:.1f} s")


def _plain(html: str) -> str:
    from html import unescape

    return unescape(_TAG.sub("", html)).replace("\n", " ")


@cli.command(help="Tìm kiếm và in kết quả (hoặc JSON, hoặc xuất toàn bộ).")
@click.argument("query", required=False, default="")
@click.option("--province", multiple=True, help="Tỉnh/thành (63 đơn vị cũ); lặp lại để chọn nhiều.")
@click.option("--province-2025", "province_2025", multiple=True, help="Tỉnh/thành (34 đơn vị từ 2025).")
@click.option("--year", multiple=True, help=f"Năm, hoặc «{UNKNOWN}».")
@click.option("--category", multiple=True)
@click.option("--source", multiple=True)
@click.option("--from", "date_from", metavar="DATE", help="Từ ngày (YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="DATE", help="Đến ngày (YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--size", type=int, default=10, show_default=True)
@click.option("--ignore-accents", "ignore_accents", is_flag=True,
              help="Tìm không phân biệt dấu (bao = bão = báo = bảo).")
@click.option("--json", "as_json", is_flag=True, help="In đúng tài liệu JSON của /api/search.")
@click.option("--export", "export", type=click.Choice(FORMATS), help="Xuất mọi kết quả (csv hoặc jsonl).")
@index_option
def search(query, province, province_2025, year, category, source, date_from, date_to, sort, page, size,
           ignore_accents, as_json, export, index):
    if as_json and export:
        raise click.UsageError("--json và --export không dùng cùng nhau")
    filters = {"province": list(province), "province_2025": list(province_2025), "year": list(year),
               "category": list(category), "source": list(source)}
    request = SearchRequest(q=query, filters={k: v for k, v in filters.items() if v}, date_from=date_from,
                            date_to=date_to, sort=sort, page=page, size=size,
                            accents="ignore" if ignore_accents else "exact")
    searcher = open_index(_config(index).index_dir)
    if export:
        for line in export_lines(searcher.export(request), export):
            sys.stdout.write(line)
        return
    result = searcher.search(request)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"Tìm thấy {result.total} bài viết ({result.took_ms / 1000:.3f} giây)".replace(".", ","))
    for notice in result.notices:
        click.echo(f"({notice})")
    if result.suggestion:
        click.echo(f"Có phải bạn muốn tìm: {result.suggestion}")
    for number, hit in enumerate(result.hits, start=(result.page - 1) * result.size + 1):
        facts = " · ".join(x for x in (hit.published and hit.published[:10], hit.province, hit.source) if x)
        click.echo(f"\n{number}. {hit.title}  [{hit.id}]")
        if facts:
            click.echo(f"   {facts}")
        click.echo(f"   {_plain(hit.snippet_html)}")


def _shown(value) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


@cli.command(help="In một bài viết theo id.")
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True)
@index_option
def show(article_id, as_json, index):
    article = open_index(_config(index).index_dir).get(article_id)
    if as_json:
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(article.title)
    facts = [f"{name}: {_shown(getattr(article, name))}" for name in
             ("published", "province", "province_2025", "provinces", "provinces_2025", "category", "source",
              "author", "url")
             if getattr(article, name)]
    if facts:
        click.echo("; ".join(facts))
    click.echo()
    click.echo(article.text)


@cli.command(help="Thống kê chỉ mục: số bài, tỉ lệ có tỉnh/năm/nguồn/tác giả, các mục bị bỏ qua.")
@click.option("--json", "as_json", is_flag=True)
@index_option
def stats(as_json, index):
    data = open_index(_config(index).index_dir).stats()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"Số bài viết: {data['articles']} (thế hệ {data['generation']}, dựng lúc {data['built_at']})")
    labels = {"province": "có tỉnh/thành", "year": "có năm", "source": "có nguồn", "author": "có tác giả"}
    for key, label in labels.items():
        share = data["with"][key]
        click.echo(f"  {label}: {share['count']} ({share['share'] * 100:.1f} %)")
    click.echo(f"Bài trùng lặp đã gộp: {data['duplicates']}")
    click.echo(f"Mục bị bỏ qua: {len(data['skipped'])}")
    for skipped in data["skipped"]:
        click.echo(f"  {skipped['item']}: {skipped['reason']}")


@cli.command(help="Phục vụ trang tìm kiếm và API bằng waitress.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@index_option
def serve(host, port, threads, index):
    import waitress

    from web import create_app

    config = _config(index)
    if not is_loopback(host):
        click.echo(f"cảnh báo: đang mở ra địa chỉ {host}, không chỉ máy này; ứng dụng không có đăng nhập.",
                   err=True)
    app = create_app(index_dir=config.index_dir)
    try:
        open_index(config.index_dir).warm_up()  # the first visitor does not wait for pyvi's model
    except VnsearchError as error:
        click.echo(f"cảnh báo: {error}", err=True)
    click.echo(f"Đang phục vụ tại http://{host}:{port} (Ctrl-C để dừng)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="vnsearch")


if __name__ == "__main__":
    cli()

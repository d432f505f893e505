"""vnsearch command line: a thin shell over the `search` library (README, "Command line"); each
command a few lines calling it. Installed as `vnsearch`; `python manage.py` runs the same."""
from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import sys
import time

import click

from search import open_index, rebuild as rebuild_index, update as update_index
from search.articles import FIELD_LABELS, METADATA_FIELDS, UNKNOWN, vn_decimal
from search.config import Config, is_loopback
from search.errors import VnsearchError
from search.export import FORMATS, export_lines
from search.store.manifest import check_index
from search.requests import SORTS, SearchRequest

_TAG = re.compile(r"<[^>]+>")
SHOWN_FIELDS = tuple(n for n in METADATA_FIELDS if n != "year")  # `show`: the year is in the date

# Click's own words (usage, help, its errors) in Vietnamese, plural forms included (Vietnamese
# has one form for every count). Click looks each up by its English text through gettext.
CLICK_VI = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Positional arguments": "Đối số",
    "Commands": "Lệnh",
    "Show this message and exit.": "Hiện trợ giúp này rồi thoát.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "default: {default}": "mặc định: {default}",
    "env var: {var}": "biến môi trường: {var}",
    "required": "bắt buộc",
    "(dynamic)": "(thay đổi)",
    "Aborted!": "Đã dừng!",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem «{command} {option}» để được trợ giúp.",
    "Missing command.": "thiếu lệnh.",
    "No such command {name!r}.": "không có lệnh «{name}».",
    "No such option {name!r}.": "không có tùy chọn «{name}».",
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải ý bạn là một trong: {possibilities}?)",
    "Missing argument": "thiếu đối số",
    "Missing option": "thiếu tùy chọn",
    "Missing parameter": "thiếu tham số",
    "Missing {param_type}": "thiếu {param_type}",
    "Missing parameter: {param_name}": "thiếu tham số: {param_name}",
    "Invalid value: {message}": "giá trị không hợp lệ: {message}",
    "Invalid value for {param_hint}: {message}": "giá trị không hợp lệ cho {param_hint}: {message}",
    "Got unexpected extra argument ({args})": "thừa đối số: {args}.",
    "Got unexpected extra arguments ({args})": "thừa đối số: {args}.",
    "Option {name!r} does not take a value.": "tùy chọn «{name}» không nhận giá trị.",
    "Option {name!r} requires an argument.": "tùy chọn «{name}» cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "tùy chọn «{name}» cần {nargs} giá trị.",
    "Takes {nargs} values but 1 was given.": "cần {nargs} giá trị nhưng chỉ có 1.",
    "Takes {nargs} values but {len} were given.": "cần {nargs} giá trị nhưng có {len}.",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "{value!r} is not {choice}.": "«{value}» không phải {choice}.",
    "{value!r} is not one of {choices}.": "«{value}» không phải một trong {choices}.",
    "{value!r} is not a valid {number_type}.": "«{value}» không phải một số hợp lệ.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "«{value}» không phải giá trị đúng/sai hợp lệ; các giá trị được nhận: {states}",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "{name} {filename!r} does not exist.": "{name} «{filename}» không tồn tại.",
    "unknown error": "lỗi không rõ",
}


def _click_gettext(message: str) -> str:
    return CLICK_VI.get(message, message)


def _click_ngettext(singular: str, plural: str, count: int) -> str:
    return _click_gettext(singular if count == 1 else plural)


def _click_speaks_vietnamese() -> None:
    """Each click module binds gettext's functions at import, as `_` and `ngettext`: rebind them."""
    for name in ("core", "decorators", "exceptions", "formatting", "parser", "types"):
        module = importlib.import_module(f"click.{name}")
        module._ = _click_gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _click_ngettext


_click_speaks_vietnamese()


class Command(click.Command):
    def __init__(self, *args, options_metavar="[TÙY CHỌN]", **kwargs):
        super().__init__(*args, options_metavar=options_metavar, **kwargs)


class Cli(click.Group):
    """Maps every user error to one Vietnamese line on stderr and a non-zero exit, in one place."""

    command_class = Command

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except VnsearchError as error:
            click.echo(f"lỗi: {error}", err=True)
            sys.exit(1)
        except click.UsageError as error:
            message = " ".join(error.format_message().split())
            if error.ctx is not None:
                message += f" Xem «{error.ctx.command_path} --help»."
            click.echo(f"lỗi: {message}", err=True)
            sys.exit(error.exit_code)
        except click.exceptions.Abort as error:
            if isinstance(error.__context__, EOFError):  # click's own wrapping of an EOFError, not Ctrl-C
                click.echo("lỗi: dữ liệu kết thúc đột ngột (tệp bị cắt?); nếu là chỉ mục, hãy chạy: "
                           "python manage.py check", err=True)
                sys.exit(1)
            click.echo("đã dừng", err=True)
            sys.exit(130)
        except KeyboardInterrupt:
            click.echo("đã dừng; chỉ mục trước đó vẫn được giữ nguyên", err=True)
            sys.exit(130)


def _config(index: str | None, source: str | None = None, opensearch: str | None = None) -> Config:
    if index and opensearch:
        raise click.UsageError("--index và --opensearch không dùng cùng nhau")
    return Config.from_env(index_dir=index, source_dir=source, opensearch=opensearch)


def _open(config: Config):
    return open_index(config.index_dir, opensearch=config.opensearch)


def _index_options(command):
    """--index DIR and --opensearch URL: the embedded index container, or a cluster's alias."""
    command = click.option("--opensearch", "opensearch", metavar="URL",
                           help="Dùng cụm OpenSearch ở địa chỉ này thay cho thư mục chỉ mục "
                                "(đường dẫn trong URL là tên bí danh, mặc định vnsearch; "
                                "hoặc biến môi trường VNSEARCH_OPENSEARCH).")(command)
    return click.option("--index", "index", metavar="THƯ_MỤC",
                        help="Thư mục chỉ mục (mặc định index_data/index/).")(command)


index_option = _index_options
source_option = click.option("--source", "source", metavar="THƯ_MỤC",
                             help="Thư mục bài viết (mặc định index_data/articles/).")


@click.group(cls=Cli, help="vnsearch — tìm kiếm toàn văn tin tức tiếng Việt.",
             options_metavar="[TÙY CHỌN]", subcommand_metavar="LỆNH [ĐỐI SỐ]...",
             context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    pass


# Seconds between progress lines when stderr is not a terminal (a log); 0: one line per file.
PROGRESS_SECONDS_ENV = "VNSEARCH_PROGRESS_SECONDS"
PROGRESS_SECONDS = 10.0
BAR_REFRESH_SECONDS = 0.2
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} tệp{postfix} [{elapsed}, còn {remaining}]"


def _duration(seconds: float) -> str:
    """3725 → "1 giờ 2 phút", 333 → "5 phút 33 giây", 12 → "12 giây"."""
    seconds = int(round(seconds))
    hours, minutes, rest = seconds // 3600, seconds // 60 % 60, seconds % 60
    if hours:
        return f"{hours} giờ {minutes} phút"
    return f"{minutes} phút {rest} giây" if minutes else f"{rest} giây"


class ProgressLines:
    """Off a terminal: a line on stderr every `interval` seconds (0: every file read)."""

    def __init__(self, interval: float):
        self.interval = interval
        self.started = self.last = time.monotonic()
        self.files_done = 0

    def __call__(self, progress) -> None:
        now = time.monotonic()
        due = now - self.last >= self.interval if self.interval > 0 else progress.files_done > self.files_done
        if not due:
            return
        self.last, self.files_done = now, progress.files_done
        elapsed = now - self.started
        line = (f"Đánh chỉ mục: {progress.files_done}/{progress.files_total} tệp, "
                f"{progress.articles} bài viết, {vn_decimal(progress.articles / elapsed if elapsed else 0)} bài/giây")
        if 0 < progress.files_done < progress.files_total:
            left = elapsed * (progress.files_total - progress.files_done) / progress.files_done
            line += f", còn khoảng {_duration(left)}"
        click.echo(line, err=True)

    def close(self) -> None:
        pass


class ProgressBar:
    """On a terminal: a tqdm bar over the files, with the articles' rate and the time left."""

    def __init__(self):
        self.bar = None
        self.shown = 0.0

    def __call__(self, progress) -> None:
        from tqdm import tqdm

        if not progress.files_total:  # an update with nothing to read
            return
        if self.bar is None:
            # A terminal that reports no size (0 × 0) gets 80 × 24: tqdm would hide the bar.
            size = shutil.get_terminal_size()
            self.bar = tqdm(total=progress.files_total, desc="Đánh chỉ mục", file=sys.stderr, smoothing=0,
                            bar_format=BAR_FORMAT, postfix="0 bài viết", ncols=size.columns, nrows=size.lines)
            self.shown = time.monotonic()  # the first rate is shown over a while, not one article
        now = time.monotonic()
        if progress.files_done == self.bar.n and now - self.shown < BAR_REFRESH_SECONDS:
            return
        self.shown = now
        self.bar.n = progress.files_done
        elapsed = self.bar.format_dict["elapsed"]
        rate = progress.articles / elapsed if elapsed else 0
        self.bar.set_postfix_str(f"{progress.articles} bài viết, {vn_decimal(rate)} bài/giây", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _progress():
    """A bar on a terminal, a line every few seconds in a log."""
    if sys.stderr.isatty():
        return ProgressBar()
    try:
        interval = float(os.environ.get(PROGRESS_SECONDS_ENV, PROGRESS_SECONDS))
    except ValueError:
        interval = PROGRESS_SECONDS
    return ProgressLines(interval)


def _warn_skipped(summary) -> None:
    for skipped in summary.skipped:
        click.echo(f"cảnh báo: bỏ qua {skipped.item}: {skipped.reason}", err=True)
    for warning in summary.warnings:
        click.echo(f"cảnh báo: {warning}", err=True)


@cli.command(help="Dựng lại toàn bộ chỉ mục từ thư mục bài viết (thế chỗ nguyên tử).")
@source_option
@index_option
@click.option("--procs", type=click.IntRange(1, 64), default=1, show_default=True, metavar="SỐ",
              help="Số tiến trình đọc và tách từ song song.")
def rebuild(source, index, procs, opensearch):
    config = _config(index, source, opensearch)
    progress = _progress()
    try:
        if config.opensearch:
            from search.opensearch.build import rebuild as rebuild_cluster

            summary = rebuild_cluster(config.source_dir, config.opensearch, procs=procs, progress=progress)
        else:
            summary = rebuild_index(config.source_dir, config.index_dir, procs=procs, progress=progress)
    finally:
        progress.close()
    _warn_skipped(summary)
    click.echo(summary.line())


@cli.command(help="Thêm bài mới, cập nhật bài đã sửa, gỡ bài đã xóa.")
@source_option
@index_option
def update(source, index, opensearch):
    config = _config(index, source, opensearch)
    progress = _progress()
    try:
        if config.opensearch:
            from search.opensearch.build import update as update_cluster

            summary = update_cluster(config.source_dir, config.opensearch, progress=progress)
        else:
            summary = update_index(config.source_dir, config.index_dir, progress=progress)
    finally:
        progress.close()
    _warn_skipped(summary)
    click.echo(summary.update_line())


def _plain(html: str) -> str:
    from html import unescape

    return unescape(_TAG.sub("", html)).replace("\n", " ")


@cli.command(help="Tìm kiếm và in kết quả (hoặc JSON, hoặc xuất toàn bộ).")
@click.argument("query", required=False, default="", metavar="[TRUY_VẤN]")
@click.option("--province", multiple=True, metavar="TỈNH", help="Tỉnh/thành (63 đơn vị cũ); lặp lại để chọn nhiều.")
@click.option("--province-2025", "province_2025", multiple=True, metavar="TỈNH",
              help="Tỉnh/thành (34 đơn vị từ 1/7/2025); lặp lại để chọn nhiều.")
@click.option("--year", multiple=True, metavar="NĂM", help=f"Năm, hoặc «{UNKNOWN}»; lặp lại để chọn nhiều.")
@click.option("--category", multiple=True, metavar="CHUYÊN_MỤC", help="Chuyên mục; lặp lại để chọn nhiều.")
@click.option("--source", multiple=True, metavar="NGUỒN", help="Nguồn (báo); lặp lại để chọn nhiều.")
@click.option("--from", "date_from", metavar="NGÀY", help="Từ ngày (YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="NGÀY", help="Đến ngày (YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="Thứ tự: liên quan nhất, mới nhất hoặc cũ nhất.")
@click.option("--page", type=int, default=1, show_default=True, metavar="SỐ", help="Trang kết quả.")
@click.option("--size", type=int, default=10, show_default=True, metavar="SỐ", help="Số kết quả mỗi trang.")
@click.option("--ignore-accents", "ignore_accents", is_flag=True,
              help="Tìm không phân biệt dấu (bao = bão = báo = bảo).")
@click.option("--no-collapse", "no_collapse", is_flag=True,
              help="Liệt kê mọi bản đăng lại, không gộp mỗi nhóm vào bài khớp nhất.")
@click.option("--group", "group", metavar="ID", help="Chỉ các bản đăng lại cùng nhóm với bài viết có id này.")
@click.option("--json", "as_json", is_flag=True, help="In đúng tài liệu JSON của /api/search.")
@click.option("--export", "export", type=click.Choice(FORMATS), help="Xuất mọi kết quả (csv hoặc jsonl).")
@index_option
def search(query, province, province_2025, year, category, source, date_from, date_to, sort, page, size,
           ignore_accents, no_collapse, group, as_json, export, index, opensearch):
    if as_json and export:
        raise click.UsageError("--json và --export không dùng cùng nhau")
    filters = {"province": list(province), "province_2025": list(province_2025), "year": list(year),
               "category": list(category), "source": list(source)}
    request = SearchRequest(q=query, filters={k: v for k, v in filters.items() if v}, date_from=date_from,
                            date_to=date_to, sort=sort, page=page, size=size,
                            accents="ignore" if ignore_accents else "exact", collapse=not no_collapse,
                            group=group)
    searcher = _open(_config(index, opensearch=opensearch))
    if export:
        for line in export_lines(searcher.export_records(request), export):
            sys.stdout.write(line)
        return
    result = searcher.search(request)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    found = f"Tìm thấy {result.total} bài viết"
    if result.articles != result.total:
        found = f"Tìm thấy {result.articles} bài viết ({result.total} sau khi gộp bản đăng lại)"
    click.echo(f"{found} ({result.took_ms / 1000:.3f} giây)".replace(".", ","))
    for notice in result.notices:
        click.echo(f"({notice})")
    if result.suggestion:
        click.echo(f"Có phải bạn muốn tìm: {result.suggestion}")
    for number, hit in enumerate(result.hits, start=(result.page - 1) * result.size + 1):
        facts = " · ".join(x for x in (hit.published and hit.published[:10], hit.province, hit.source) if x)
        click.echo(f"\n{number}. {hit.title}  [{hit.id}]")
        if hit.copies > 1:
            click.echo(f"   {hit.copies - 1} bản đăng lại (--group {hit.group})")
        if facts:
            click.echo(f"   {facts}")
        click.echo(f"   {_plain(hit.snippet_html)}")


def _shown(value) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


@cli.command(help="In một bài viết theo id.")
@click.argument("article_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="In bài viết dạng JSON.")
@index_option
def show(article_id, as_json, index, opensearch):
    article = _open(_config(index, opensearch=opensearch)).get(article_id)
    if as_json:
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(article.title)
    for name in SHOWN_FIELDS:
        value = getattr(article, name)
        if value and not (isinstance(value, list) and len(value) < 2):  # a list only when it adds places
            click.echo(f"{FIELD_LABELS[name]}: {_shown(value)}")
    click.echo()
    click.echo(article.text)


@cli.command(help="Các bài liên quan nhất đến một bài viết (theo những từ đặc trưng của nó, trừ các bản sao).")
@click.argument("article_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON (như GET /api/articles/ID/related).")
@index_option
def related(article_id, as_json, index, opensearch):
    result = _open(_config(index, opensearch=opensearch)).related(article_id)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if not result.hits:
        click.echo("Không tìm thấy bài liên quan.")
    for number, hit in enumerate(result.hits, start=1):
        facts = " · ".join(x for x in (hit.published and hit.published[:10], hit.province, hit.source) if x)
        click.echo(f"{number}. {hit.title}  [{hit.id}]" + (f"\n   {facts}" if facts else ""))


@cli.command(help="Thống kê chỉ mục: số bài, tỉ lệ có tỉnh/năm/nguồn/chuyên mục/tác giả, các tỉnh/thành, "
                  "năm, nguồn và chuyên mục nhiều bài nhất, các mục bị bỏ qua.")
@click.option("--json", "as_json", is_flag=True, help="In thống kê dạng JSON.")
@index_option
def stats(as_json, index, opensearch):
    data = _open(_config(index, opensearch=opensearch)).stats()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"Số bài viết: {data['articles']} (thế hệ {data['generation']}, dựng lúc {data['built_at']})")
    for key, share in data["with"].items():
        click.echo(f"  có {FIELD_LABELS[key].lower()}: {share['count']} ({vn_decimal(share['share'] * 100)} %)")
    for key, values in data["top"].items():
        click.echo(f"{FIELD_LABELS[key]} nhiều bài nhất:" + ("" if values else " (chưa có bài nào ghi rõ)"))
        for value in values:
            click.echo(f"  {value['value']}: {value['count']}")
    click.echo(f"Bài trùng lặp đã gộp: {data['duplicates']}")
    click.echo(f"Nhóm bản đăng lại: {data['copies']['groups']} nhóm, "
               f"{data['copies']['articles_in_groups']} bài viết")
    click.echo(f"Mục bị bỏ qua: {len(data['skipped'])}")
    for skipped in data["skipped"]:
        click.echo(f"  {skipped['item']}: {skipped['reason']}")


@cli.command(help="Kiểm tra chỉ mục: kích thước và tổng kiểm tra từng tệp, rồi một truy vấn thật.")
@click.option("--full", is_flag=True, help="Tính tổng kiểm tra của mọi tệp, cả tệp lớn.")
@index_option
def check(full, index, opensearch):
    config = _config(index, opensearch=opensearch)
    if config.opensearch:  # the cluster checks its own files; here, a real query
        health = _open(config).health()
        click.echo(f"Chỉ mục trả lời đúng: {health['generation']} trên OpenSearch, {health['articles']} bài.")
        return
    generation = check_index(config.index_dir, full=full)
    health = open_index(config.index_dir).health()
    checked = "mọi tệp" if full else "kích thước mọi tệp, tổng kiểm tra các tệp nhỏ"
    click.echo(f"Chỉ mục nguyên vẹn: thế hệ {generation.name}, {health['articles']} bài ({checked}).")


def served_url(host: str, port: int) -> str:
    """"http://127.0.0.1:5000", "http://[::1]:5204": an IPv6 address in brackets (RFC 3986)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@cli.command(help="Phục vụ trang tìm kiếm và API bằng gunicorn, mỗi lõi CPU một tiến trình.")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ĐỊA_CHỈ",
              help="Địa chỉ lắng nghe (IPv6 như ::1 cũng được).")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, metavar="CỔNG",
              help="Cổng lắng nghe.")
@click.option("--workers", type=click.IntRange(1, 256), default=None, metavar="SỐ",
              help="Số tiến trình phục vụ  [mặc định: số lõi CPU]")
# 16 per worker: heavy queries wait their turn holding a thread; with 8, eight hostile clients held
# them all and light searches queued behind (bench/RESULTS_loadtest.md: light p95 5.3× at 8, 0.95× at 16).
@click.option("--threads", type=click.IntRange(1, 64), default=16, show_default=True, metavar="SỐ",
              help="Số luồng phục vụ của mỗi tiến trình.")
@click.option("--cpu-affinity/--no-cpu-affinity", "pin", default=True, show_default=True,
              help="Khi số tiến trình bằng số lõi CPU: mỗi tiến trình chạy trên một lõi riêng.")
@index_option
def serve(host, port, workers, threads, pin, index, opensearch):
    from vnsearch_cli import server

    host = host.strip().removeprefix("[").removesuffix("]")  # "[::1]" as a URL writes it
    config = _config(index, opensearch=opensearch)
    if not is_loopback(host):
        click.echo(f"cảnh báo: đang mở ra địa chỉ {host}, không chỉ máy này; ứng dụng không có đăng nhập.",
                   err=True)
    workers = workers or server.default_workers()
    click.echo(f"Đang phục vụ tại {served_url(host, port)} (Ctrl-C để dừng)")
    # Each worker opens and warms up its own index before it accepts a request (server.VnsearchServer.load).
    server.run(config.index_dir, host=host, port=port, workers=workers, threads=threads,
               opensearch=config.opensearch, pin=pin)

"""manage.py: the CLI of SPEC §6, as a user runs it."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

import manage
from helpers import ROOT, SAMPLES


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("cli-index")
    result = CliRunner().invoke(manage.cli, ["rebuild", "--source", str(SAMPLES), "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"Đã đánh chỉ mục 5 bài viết, bỏ qua 0, trong \d+,\d giây", last)
    return index_dir


def run(*args):
    return CliRunner().invoke(manage.cli, [str(a) for a in args])


def search_json(cli_index, *args):
    result = run("search", *args, "--json", "--index", cli_index)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_search_json_is_the_api_document(cli_index):
    doc = search_json(cli_index, "đại hội")
    assert doc["total"] == 5
    assert set(doc) >= {"query", "total", "page", "size", "took_ms", "sort", "matching", "filters", "hits",
                        "facets", "suggestion"}
    assert all("<mark>" in hit["snippet_html"] for hit in doc["hits"])
    provinces = {f["value"]: f["count"] for f in doc["facets"]["province"]}
    assert all(provinces[p] == 1 for p in ("Bắc Ninh", "Phú Thọ", "Hồ Chí Minh", "Long An"))
    assert {f["value"]: f["count"] for f in doc["facets"]["year"]}["2022"] == 1


@pytest.mark.parametrize("option, value", [("--province", "Long An"), ("--province-2025", "Tây Ninh")])
def test_province_options_filter(cli_index, option, value):
    doc = search_json(cli_index, "đại hội", option, value)
    assert [h["id"] for h in doc["hits"]] == ["004_cb6f3e124aee11ae.txt"]
    assert doc["filters"] == {option.lstrip("-").replace("-", "_"): [value]}


def test_plain_output_lists_titles(cli_index):
    result = run("search", "dai hoi", "--size", "2", "--index", cli_index)
    assert result.exit_code == 0
    assert result.output.startswith("Tìm thấy 5 bài viết")


def test_export_writes_every_result(cli_index):
    result = run("search", "đại hội", "--size", "1", "--export", "jsonl", "--index", cli_index)
    assert len(result.output.strip().splitlines()) == 5
    result = run("search", "đại hội", "--export", "csv", "--index", cli_index)
    assert result.output.splitlines()[0].startswith("\ufeffid,title,published")


def test_show_and_stats(cli_index):
    result = run("show", "004_cb6f3e124aee11ae.txt", "--json", "--index", cli_index)
    assert json.loads(result.output)["province"] == "Long An"
    result = run("stats", "--json", "--index", cli_index)
    stats = json.loads(result.output)
    assert stats["articles"] == 5 and stats["with"]["province"]["count"] == 4


@pytest.mark.parametrize("args", [
    ["search", "x", "--page", "0"], ["search", "x", "--size", "100000"], ["search", "--year", "abc"],
    ["search", "--from", "yesterday"], ["search", "--sort", "best"], ["search", "--bogus"],
    ["show", "no-such-id"],
])
@pytest.mark.slow
def test_user_errors_print_one_line_and_exit_non_zero(cli_index, args):
    proc = subprocess.run([sys.executable, "manage.py", *args, "--index", str(cli_index)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("lỗi: ")


@pytest.mark.slow
def test_missing_index_is_explained(tmp_path):
    proc = subprocess.run([sys.executable, "manage.py", "search", "x", "--index", str(tmp_path / "none")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and "rebuild" in proc.stderr and "Traceback" not in proc.stderr


def test_environment_names_the_index(cli_index, monkeypatch):
    monkeypatch.setenv("VNSEARCH_INDEX", str(cli_index))
    assert run("search", "đại hội", "--json").exit_code == 0


def test_serve_warns_when_bound_beyond_loopback(cli_index, monkeypatch):
    from vnsearch_cli import server

    served = {}
    monkeypatch.setattr(server, "run", lambda index_dir, **kw: served.update(kw))
    result = CliRunner().invoke(manage.cli, ["serve", "--host", "0.0.0.0", "--index", str(cli_index)])
    assert "cảnh báo" in result.output and served["host"] == "0.0.0.0"
    result = CliRunner().invoke(manage.cli, ["serve", "--index", str(cli_index)])
    assert "cảnh báo" not in result.output and served["host"] == "127.0.0.1"



@pytest.mark.parametrize("host, url", [("::1", "http://[::1]:5204"), ("[::1]", "http://[::1]:5204"),
                                       ("127.0.0.1", "http://127.0.0.1:5204"), ("localhost", "http://localhost:5204")])
def test_serve_prints_a_usable_url_and_treats_loopback_as_loopback(cli_index, monkeypatch, host, url):
    from vnsearch_cli import server

    served = {}
    monkeypatch.setattr(server, "run", lambda index_dir, **kw: served.update(kw))
    result = CliRunner().invoke(manage.cli, ["serve", "--host", host, "--port", "5204", "--index", str(cli_index)])
    assert f"Đang phục vụ tại {url} " in result.output
    assert "cảnh báo" not in result.output
    assert served["host"] == host.strip("[]")


def test_serve_runs_a_worker_per_core_unless_told(cli_index, monkeypatch):
    from vnsearch_cli import server

    served = {}
    monkeypatch.setattr(server, "run", lambda index_dir, **kw: served.update(kw))
    monkeypatch.setattr(server, "usable_cpus", lambda: [0, 1, 2, 3, 4, 5])
    CliRunner().invoke(manage.cli, ["serve", "--index", str(cli_index)])
    assert served["workers"] == 6 and served["threads"] == 16 and served["pin"] is True
    CliRunner().invoke(manage.cli, ["serve", "--workers", "2", "--threads", "4", "--no-cpu-affinity",
                                    "--index", str(cli_index)])
    assert served["workers"] == 2 and served["threads"] == 4 and served["pin"] is False


def test_serve_sets_the_server_limits():
    from vnsearch_cli.server import SERVER_LIMITS, VnsearchServer, options_for

    options = options_for("::1", 5204, workers=3, threads=16)
    assert options["bind"] == ["[::1]:5204"] and options["workers"] == 3 and options["accesslog"] is None
    limits = VnsearchServer("unused", options).limits
    assert limits == SERVER_LIMITS
    assert limits["channel_timeout"] <= 30 and limits["connection_limit"] > 100


def test_a_long_unknown_id_is_cut_in_the_message(cli_index):
    result = run("show", "x" * 100_000, "--index", str(cli_index))
    assert result.exit_code != 0
    assert len(result.output) < 400 and "x" * 100 + "…»" in result.output

def test_ignore_accents_finds_every_form_and_says_so(cli_index):
    exact = search_json(cli_index, "đài hội")  # no "đài hội": run again with marks ignored
    assert exact["accents"] == "ignored" and exact["total"] == 5 and exact["notices"]
    asked = search_json(cli_index, "đại hội", "--ignore-accents")
    assert asked["accents"] == "ignored" and asked["total"] == 5
    text = run("search", "đại hội", "--ignore-accents", "--index", cli_index)
    assert text.exit_code == 0 and "(Đang tìm không phân biệt dấu.)" in text.output


ENGLISH = ("Usage", "Options", "Commands", "Show this message", "default:", "[OPTIONS]", "COMMAND", "TEXT",
           "INTEGER", "DIR", "Error", "Try ", "Missing", "Invalid", "No such", "is not")


@pytest.mark.parametrize("args", [["--help"], ["-h"], *([name, "--help"] for name in manage.cli.commands)])
def test_help_is_vietnamese(args):
    result = run(*args)
    assert result.exit_code == 0
    assert result.output.startswith("Cách dùng: ") and "Tùy chọn:" in result.output
    assert "Hiện trợ giúp này rồi thoát." in result.output
    assert not [word for word in ENGLISH if word in result.output]


@pytest.mark.parametrize("args, message", [
    (["show"], "lỗi: thiếu đối số 'ID'. Xem «cli show --help»."),
    (["search", "--bogus"], "lỗi: không có tùy chọn «--bogus». Xem «cli search --help»."),
    (["search", "--sort", "best"], "lỗi: giá trị không hợp lệ cho '--sort': «best» không phải một trong "
                                   "'relevance', 'newest', 'oldest'. Xem «cli search --help»."),
    (["search", "--page", "x"], "lỗi: giá trị không hợp lệ cho '--page': «x» không phải một số hợp lệ. "
                                "Xem «cli search --help»."),
    (["serve", "--port", "0"], "lỗi: giá trị không hợp lệ cho '--port': 0 nằm ngoài khoảng 1<=x<=65535. "
                               "Xem «cli serve --help»."),
    (["search", "--page"], "lỗi: tùy chọn «--page» cần một giá trị."),
    (["bogus"], "lỗi: không có lệnh «bogus». Xem «cli --help»."),
    (["search", "a", "b"], "lỗi: thừa đối số: b. Xem «cli search --help»."),
])
def test_usage_errors_are_one_vietnamese_line(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.strip() == message and result.stdout == ""


def test_show_labels_the_facts_in_vietnamese(cli_index):
    result = run("show", "004_cb6f3e124aee11ae.txt", "--index", cli_index)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[1:5] == ["Ngày đăng: 2020-06-01T09:29:00+07:00", "Tỉnh/thành: Long An",
                          "Tỉnh/thành (từ 1/7/2025): Tây Ninh", "Tác giả: Hùng Cường"]


def test_stats_lists_the_top_provinces_years_sources_and_categories(cli_index):
    data = json.loads(run("stats", "--json", "--index", cli_index).output)
    assert set(data["top"]) == {"province", "year", "source", "category"}
    assert data["top"]["year"][0] == {"value": "2020", "count": 3}
    assert {p["value"] for p in data["top"]["province"]} == {"Bắc Ninh", "Phú Thọ", "Hồ Chí Minh", "Long An"}
    assert data["top"]["category"] == []
    text = run("stats", "--index", cli_index).output
    assert "Năm nhiều bài nhất:\n  2020: 3\n  2022: 1\n" in text
    assert "Tỉnh/thành nhiều bài nhất:\n  Bắc Ninh: 1\n" in text
    assert "  có tỉnh/thành: 4 (80,0 %)" in text


def test_update_counts_added_changed_and_removed_articles(tmp_path):
    from helpers import write_articles

    source, index_dir = tmp_path / "source", tmp_path / "index"
    shutil.copytree(SAMPLES, source)
    assert run("rebuild", "--source", source, "--index", index_dir).exit_code == 0
    articles = [{"id": f"u-{n}", "title": f"Tin số {n}", "text": f"Bài kiểm tra cập nhật số {n}."} for n in (1, 2, 3)]
    write_articles(source, "new.jsonl", articles)
    result = run("update", "--source", source, "--index", index_dir)
    assert result.exit_code == 0
    assert result.stdout.startswith("Đã cập nhật chỉ mục: thêm 3, cập nhật 0, xóa 0 bài viết (0 tệp đã bị xóa), ")

    articles[0]["text"] = "Nội dung đã sửa đổi."
    write_articles(source, "new.jsonl", articles[:2])  # u-1 changed, u-2 as it was, u-3 gone
    os.utime(source / "new.jsonl", ns=(1, 1))
    (source / "004_cb6f3e124aee11ae.txt").unlink()
    result = run("update", "--source", source, "--index", index_dir)
    assert result.exit_code == 0
    assert re.fullmatch(r"Đã cập nhật chỉ mục: thêm 0, cập nhật 1, xóa 2 bài viết \(1 tệp đã bị xóa\), "
                        r"bỏ qua 0, trong \d+,\d giây", result.stdout.strip())

"""manage.py: the CLI of SPEC §6, as a user runs it."""
import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

import manage
from conftest import ROOT, SAMPLES


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("cli-index")
    result = CliRunner().invoke(manage.cli, ["rebuild", "--source", str(SAMPLES), "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"indexed 5 articles, skipped 0, in \d+\.\d s", result.output.strip().splitlines()[-1])
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
def test_user_errors_print_one_line_and_exit_non_zero(cli_index, args):
    proc = subprocess.run([sys.executable, "manage.py", *args, "--index", str(cli_index)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("lỗi: ")


def test_missing_index_is_explained(tmp_path):
    proc = subprocess.run([sys.executable, "manage.py", "search", "x", "--index", str(tmp_path / "none")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and "rebuild" in proc.stderr and "Traceback" not in proc.stderr


def test_environment_names_the_index(cli_index, monkeypatch):
    monkeypatch.setenv("VNSEARCH_INDEX", str(cli_index))
    assert run("search", "đại hội", "--json").exit_code == 0


def test_serve_warns_when_bound_beyond_loopback(cli_index, monkeypatch):
    import waitress

    served = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.update(kw))
    result = CliRunner().invoke(manage.cli, ["serve", "--host", "0.0.0.0", "--index", str(cli_index)])
    assert "cảnh báo" in result.output and served["host"] == "0.0.0.0"
    result = CliRunner().invoke(manage.cli, ["serve", "--index", str(cli_index)])
    assert "cảnh báo" not in result.output and served["host"] == "127.0.0.1"


def test_ignore_accents_finds_every_form_and_says_so(cli_index):
    exact = search_json(cli_index, "đài hội")  # no "đài hội": run again with marks ignored
    assert exact["accents"] == "ignored" and exact["total"] == 5 and exact["notices"]
    asked = search_json(cli_index, "đại hội", "--ignore-accents")
    assert asked["accents"] == "ignored" and asked["total"] == 5
    text = run("search", "đại hội", "--ignore-accents", "--index", cli_index)
    assert text.exit_code == 0 and "(Đang tìm không phân biệt dấu.)" in text.output

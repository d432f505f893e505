"""The small pure pieces of the performance benchmark (bench/perf.py, bench/common.py,
bench/loadgen.py): percentiles, sampling, the query set, baseline query strings, and the
load client against a tiny local WSGI server."""
from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from helpers import load_bench

BENCH = Path(__file__).resolve().parent.parent / "bench"




common = load_bench("common")
loadgen = load_bench("loadgen")
perf = load_bench("perf")


# ---------------------------------------------------------------- percentiles

@pytest.mark.parametrize("p, expected", [(0, 1.0), (50, 2.5), (100, 4.0), (25, 1.75), (95, 3.85)])
def test_percentile_interpolates_between_closest_ranks(p, expected):
    assert common.percentile([4.0, 1.0, 3.0, 2.0], p) == pytest.approx(expected)


def test_percentile_agrees_with_numpy_default():
    numpy = pytest.importorskip("numpy")
    values = [((i * 7919) % 1000) / 7.0 for i in range(1, 338)]
    for p in (1, 50, 95, 99, 99.9):
        assert common.percentile(values, p) == pytest.approx(float(numpy.percentile(values, p)))


def test_percentile_of_nothing_is_nan_and_of_one_value_is_that_value():
    assert math.isnan(common.percentile([], 50))
    assert common.percentile([3.5], 99) == 3.5


def test_percentile_outside_0_to_100_is_refused():
    with pytest.raises(ValueError):
        common.percentile([1.0], 101)


def test_latency_summary_reports_ordered_percentiles():
    summary = common.latency_summary([float(x) for x in range(1, 101)])
    assert summary["n"] == 100
    assert summary["p50"] <= summary["p95"] <= summary["p99"] <= summary["max"] == 100.0
    assert common.latency_summary([]) == {"n": 0}


# ---------------------------------------------------------------- corpus sampling and shards

def _corpora():
    return {"a": [{"id": f"a{i}", "title": "t", "text": "x"} for i in range(700)],
            "b": [{"id": f"b{i}", "title": "t", "text": "y"} for i in range(300)]}


def test_proportional_sample_is_deterministic_and_proportional():
    first = common.proportional_sample(_corpora(), 100, seed=7)
    second = common.proportional_sample(_corpora(), 100, seed=7)
    assert [d["id"] for d in first] == [d["id"] for d in second]
    assert len(first) == 100
    assert sum(d["id"].startswith("a") for d in first) == 70
    assert common.proportional_sample(_corpora(), 100, seed=8) != first


def test_proportional_sample_of_everything_keeps_every_article():
    assert len(common.proportional_sample(_corpora(), None)) == 1000


def test_shard_corpus_holds_out_the_update_batches(tmp_path):
    docs = [{"id": f"d{i}", "title": f"Tiêu đề {i}", "text": "Nội dung"} for i in range(2450)]
    corpus = common.shard_corpus(docs, tmp_path / "c", update_batch=100, shard_size=1000)
    read = list(common.iter_source(corpus.source))
    assert len(read) == len(corpus.docs) == 2350
    assert [d["id"] for d in corpus.add_docs] == [f"d{i}" for i in range(2350, 2450)]
    assert len(list(common.read_jsonl_gz(corpus.delete_file))) == 100
    assert not corpus.add_file.is_relative_to(corpus.source)
    before = corpus.delete_file.stat().st_mtime_ns
    again = common.shard_corpus(docs, tmp_path / "c", update_batch=100, shard_size=1000)
    assert again.delete_file.stat().st_mtime_ns == before  # the same articles reuse the files


def test_rss_sampler_sees_this_process():
    with common.RssSampler(os.getpid(), interval=0.01) as sampler:
        deadline = time.monotonic() + 60  # the sampler's thread runs at once; only a hang waits this long
        while not sampler.samples:
            assert time.monotonic() < deadline, "the sampler took no sample"
            time.sleep(0.01)
    assert sampler.peak_tree >= sampler.peak_single > 10 * 1024 * 1024


# ---------------------------------------------------------------- the query set

TITLES = [
    "Đại hội Đảng bộ tỉnh Bắc Ninh nhiệm kỳ mới", "Giá vàng hôm nay tăng mạnh",
    "Bóng đá Việt Nam thắng Thái Lan", "Thủ tướng làm việc với tỉnh Nghệ An",
    "Giá xăng dầu giảm lần thứ ba", "Học sinh Hà Nội đi học trở lại",
    "Bệnh viện Bạch Mai tiếp nhận bệnh nhân", "Công an điều tra vụ tai nạn giao thông",
    "Thị trường chứng khoán phục hồi", "Đội tuyển Việt Nam chuẩn bị cho vòng loại",
]


def _segmented(titles):
    # Hand-made segmentation, so the test does not depend on pyvi's model.
    return [[w.lower().split("_") for w in title.replace("Đại hội", "Đại_hội").replace("Việt Nam", "Việt_Nam").split()]
            for title in titles]


def _generate(seed=1):
    titles = TITLES * 30
    mix = (("keyword", 6), ("two_words", 4), ("accentless", 4), ("phrase", 3), ("or", 2),
           ("province", 2), ("year", 2), ("newest", 2), ("browse", 2))
    facets = {"province": ["Hà Nội", "Nghệ An"], "year": ["2020", "2021"]}
    return perf.generate_queries(titles, facets, seed=seed, mix=mix, segmented=_segmented(titles))


def test_query_generation_is_deterministic():
    assert _generate(seed=1) == _generate(seed=1)
    assert _generate(seed=1) != _generate(seed=2)


def test_query_set_has_every_kind_and_baseline_groups():
    queries = _generate()
    kinds = {q["kind"] for q in queries}
    assert kinds == {"keyword", "two_words", "accentless", "phrase", "or", "province", "year", "newest", "browse"}
    for q in queries:
        assert q["op"] in ("and", "or")
        assert (q["q"] == "") == (q["groups"] == [])
        if q["kind"] == "accentless":
            assert q["q"].isascii()
        if q["kind"] == "phrase":
            assert q["q"].startswith('"') and q["q"].endswith('"')
        if q["kind"] == "province":
            assert q["filters"]["province"][0] in ("Hà Nội", "Nghệ An")
        if q["kind"] in ("newest", "browse"):
            assert q["sort"] == "newest"


def test_interleave_puts_every_kind_in_a_short_prefix():
    queries = perf.interleave({"a": [{"k": "a"}] * 5, "b": [{"k": "b"}] * 2, "c": [{"k": "c"}] * 3})
    assert [q["k"] for q in queries[:3]] == ["a", "b", "c"]
    assert len(queries) == 10


def test_baseline_query_strings_follow_the_and_or_groups():
    query = {"groups": [["thông", "tin"], ["kinh", "tế"]], "op": "and",
             "filters": {"province": ["Hà Nội"], "year": ["2020"]}, "sort": "relevance", "q": "x"}
    assert perf.Fts5Engine.match_expression(query) == '"thông tin" AND "kinh tế"'
    assert perf.TantivyEngine.query_string(None, query) == \
        '+"thông tin" +"kinh tế" +(province:"Hà Nội") +(year:2020)'
    query["op"] = "or"
    assert perf.Fts5Engine.match_expression(query) == '"thông tin" OR "kinh tế"'
    assert perf.TantivyEngine.query_string(None, query).startswith('+("thông tin" "kinh tế")')


def test_api_path_repeats_filter_values():
    path = perf.api_path({"q": "đại hội", "filters": {"year": ["2020", "2021"]}, "sort": "newest"})
    assert path == "/api/search?q=%C4%91%E1%BA%A1i+h%E1%BB%99i&year=2020&year=2021&sort=newest"


# ---------------------------------------------------------------- load client

class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture()
def tiny_server():
    def app(environ, start_response):
        body = b'{"ok": true, "path": "%s"}' % environ["PATH_INFO"].encode()
        status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_loadgen_stops_at_the_request_count(tiny_server):
    result = loadgen.run_load("127.0.0.1", tiny_server, ["/a", "/b", "/missing"], concurrency=4,
                              seconds=30, max_requests=60)
    assert result["requests"] == 60
    assert set(result["statuses"]) == {"200", "404"} and sum(result["statuses"].values()) == 60
    assert result["errors"] == {}
    assert result["latency_ms"]["n"] == 60 and result["rps"] > 0


class SteppingClock:
    """Stands in for loadgen's `time`: each reading is `step` seconds after the last, however
    fast the machine runs, so the time limit falls after a known number of readings."""

    def __init__(self, step: float):
        self.now, self.step, self.lock = 0.0, step, threading.Lock()

    def perf_counter(self) -> float:
        with self.lock:
            self.now += self.step
            return self.now


def test_loadgen_stops_at_the_time_limit(tiny_server, monkeypatch):
    monkeypatch.setattr(loadgen, "time", SteppingClock(0.01))
    result = loadgen.run_load("127.0.0.1", tiny_server, ["/a"], concurrency=2, seconds=0.3)
    # 30 readings before the limit, three a request (taken, sent, answered), one more a thread.
    assert 0 < result["requests"] <= 30 // 3 + 2
    assert result["ok"] == result["requests"]
    assert 0.3 <= result["seconds"] < 0.5


def test_loadgen_counts_a_dead_server_as_errors():
    port = common.free_port()
    result = loadgen.run_load("127.0.0.1", port, ["/a"], concurrency=1, seconds=5, max_requests=3)
    assert result["requests"] == 0
    assert sum(result["errors"].values()) == 3


@pytest.mark.parametrize("host", ["10.0.0.1", "example.org", "0.0.0.0"])
def test_loadgen_only_targets_loopback(host):
    with pytest.raises(ValueError):
        loadgen.run_load(host, 80, ["/"], seconds=0.1)


# ---------------------------------------------------------------- issue 19's figures in the report

def serving_results() -> dict:
    web = {"workers": 2, "concurrency": 8, "seconds": 30.0, "requests": 1800, "ok": 1800, "rps": 60.0,
           "latency_ms": {"p50": 100.0, "p95": 300.0, "p99": 400.0}, "errors": {}, "startup_s": 1.5,
           "rss_idle_bytes": 500 * 2 ** 20, "pss_idle_bytes": 300 * 2 ** 20, "rss_peak_bytes": 900 * 2 ** 20,
           "rss_end_bytes": 800 * 2 ** 20, "pss_end_bytes": 600 * 2 ** 20}
    return {"label": "all-serving", "size": "all", "started": "x", "finished": "y",
            "machine": {"nproc": 2, "platform": "linux", "python": "3.11", "loadavg_at_start": [1, 1, 1]},
            "versions": {}, "sqlite": "3", "corpus": {"articles": 107394},
            "rebuild_reference": {"seconds": 1000.0, "from": "report.json"},
            "web": web, "web_1": {**web, "workers": 1, "rps": 30.0, "startup_s": 1.2},
            "update": {"no_change": {"ok": True, "wall_seconds": 0.8},
                       "add_100": {"ok": True, "wall_seconds": 12.0, "updated": 100, "removed_files": 0}}}


def test_the_report_has_ready_no_op_update_worker_ratio_and_memory_rows():
    rows = {name: (measured, met) for name, measured, _, met in perf.targets(serving_results())}
    assert rows["server ready (first 200 on /healthz), 2 workers"] == ("1.50 s", True)
    assert rows["update with nothing changed (wall, incl. process start)"] == ("0.80 s", True)
    assert rows["update: add 100 articles / fastest full rebuild (wall)"] == ("1.20 %", False)
    assert rows["web API at concurrency 8: 2 workers ÷ 1 worker (requests/s)"] == ("2.00× (60.0 vs 30.0)", True)
    assert rows["serve PSS after load, all processes, full corpus"] == ("600 MiB", True)
    text = perf.render_report([serving_results()], "python bench/perf.py --index-dir x", quick=False)
    assert "| 1 | 8 | 30 |" in text and "PSS" in text


# ---------------------------------------------------------------- the OpenSearch column (issue 21)

def _build(seconds, articles=1000, ok=True, **extra):
    return {"ok": ok, "seconds": seconds, "articles": articles, "articles_per_s": round(articles / seconds, 1),
            "mb_per_s": 1.0, "peak_rss_tree": 100 * 2 ** 20, "index_bytes": 10 * 2 ** 20, **extra}


def _latencies(p50, p95):
    return {"n": 10, "p50": p50, "p95": p95, "p99": p95, "mean": p50, "errors": 0, "zero_results": 1,
            "mean_total": 42.0, "by_kind": {}}


def test_opensearch_section_sets_each_backend_beside_the_embedded_one():
    data = {"label": "10k", "corpus": {"articles": 1000, "mb": 3.0}, "machine": {"nproc": 2},
            "opensearch": {"started": "t0", "finished": "t1", "rounds": 2, "queries": 10, "command": "python bench/perf.py x",
                           "node": {"version": "2.19.6", "lucene": "9.12.3", "heap": "512m", "started_here": True},
                           "rebuild": {"vnsearch-p1": _build(10.0), "opensearch-p1": _build(20.0, jvm_rss=400 * 2 ** 20),
                                       "vnsearch-p2": _build(5.0), "opensearch-p2": _build(8.0, ok=False, error="boom")},
                           "search": {"vnsearch": _latencies(5.0, 10.0), "opensearch": _latencies(20.0, 50.0)}}}
    text = "\n".join(perf._opensearch_section(data))
    assert "| opensearch | 1 | 20.0 | 50 |" in text and "| 0.50× |" in text  # 50 vs 100 articles/s
    assert "| opensearch | 2 | failed: boom" in text
    assert "| opensearch | 20.0 | 50.0 |" in text and "| 4.00× | 5.00× |" in text
    assert "OpenSearch 2.19.6" in text and "`python bench/perf.py x`" in text
    report = perf.render_opensearch_report([data])
    assert report.startswith("# Performance benchmark: the OpenSearch backend") and "## 10k: 1,000 articles" in report


def test_no_opensearch_step_no_section():
    assert perf._opensearch_section({"label": "10k"}) == []

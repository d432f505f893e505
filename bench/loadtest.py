"""Load test across an index swap: `manage.py serve` under 16 concurrent clients for 60 s while a
`manage.py rebuild` swaps in a new generation in the middle. Loopback only, bounded in time.
With `--hostile`: light queries' latency alone, then beside 8 clients sending hostile queries
(100 quoted stop-word pairs, 1,000 characters), in one run (issue 18: one user cannot slow everyone).

    .venv/bin/python bench/loadtest.py                 # prepare (once), run, write RESULTS_loadtest.md
    .venv/bin/python bench/loadtest.py --articles 3000 --seconds 60 --concurrency 16
    .venv/bin/python bench/loadtest.py --hostile --articles 2500 --seconds 30

Corpora are read from /work/shared/corpora (news24h_sample + unc_dantri_news) into bench/work/
(git-ignored). Index A holds the first N articles; the rebuild reads source B (A plus 100 more),
so /healthz shows the swap. A rebuild of a few thousand articles takes minutes on a small machine,
so it is started `lead` seconds before the measured window, computed from the time the unloaded
build of A took, aiming the swap at the middle of the window; if the swap comes later, the window
is extended until 10 s after it (and the report says so).

Only the standard library; every request is a valid one, so any non-200 answer or connection
error counts as an error.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import stop_server  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("VNSEARCH_CORPORA", REPO.parent / "shared" / "corpora"))
CORPUS_NAMES = ("news24h_sample", "unc_dantri_news")
WORK = REPO / "bench" / "work" / "loadtest"
RESULTS = REPO / "bench" / "RESULTS_loadtest.md"
HOST = "127.0.0.1"
MAX_SECONDS = 600  # hard bound on the whole measured window, extension included
EXTRA_ARTICLES = 100  # source B = source A + this many, so the swap is visible in /healthz
SHARD = 100
QUERIES = ["đại hội", "dai hoi", "giáo dục", "bóng đá", "giá vàng", "covid", "hà nội", "thành phố hồ chí minh",
           "tp.hcm", "ubnd", "thủ tướng", "học sinh", "bệnh viện", "xuất khẩu", "thời tiết", "ô tô", "điện thoại",
           "công nghệ", "du lịch", "việt nam", "world cup", "chứng khoán", "\"ngân hàng nhà nước\"", "-bóng đá y tế"]
STOP_WORDS = "của và là một cho các với những đã được trong khi này có người ta thì để mà không".split()
HOSTILE_CLIENTS = 8
HOSTILE_MAX_REQUESTS = 2000  # per phase, all hostile clients together
HOSTILE_RESULTS = "## Light queries beside hostile ones"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def manage(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(REPO / "manage.py"), *args], cwd=REPO, **kwargs)


def serve(port: int, threads: int, index_dir: Path) -> subprocess.Popen:
    """The server, its log (a line per request) to a file: a pipe nobody reads fills and blocks it."""
    with open(WORK / "server.log", "w", encoding="utf-8") as server_log:
        return manage("serve", "--host", HOST, "--port", str(port), "--threads", str(threads),
                      "--index", str(index_dir), stdout=subprocess.DEVNULL, stderr=server_log)


# ---------------------------------------------------------------- preparation

def read_corpora() -> list[dict]:
    docs = []
    for name in CORPUS_NAMES:
        with gzip.open(CORPORA / name / "docs.jsonl.gz", "rt", encoding="utf-8") as lines:
            docs.extend(json.loads(line) for line in lines if line.strip())
    random.Random(7).shuffle(docs)
    return docs


def write_source(folder: Path, docs: list[dict]) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for start in range(0, len(docs), SHARD):
        with gzip.open(folder / f"shard-{start // SHARD:04d}.jsonl.gz", "wt", encoding="utf-8") as out:
            for doc in docs[start:start + SHARD]:
                out.write(json.dumps(doc, ensure_ascii=False) + "\n")


def prepare(articles: int) -> dict:
    """Sources A and B and the index of A, reused when already made for the same size."""
    stamp = WORK / "prepared.json"
    if stamp.exists():
        prepared = json.loads(stamp.read_text())
        if prepared.get("articles") == articles and (WORK / "index" / "current").exists():
            log(f"reusing the prepared sources and index ({articles} articles)")
            return prepared
    docs = read_corpora()
    if len(docs) < articles + EXTRA_ARTICLES:
        raise SystemExit(f"only {len(docs)} articles in the corpora; ask for at most {len(docs) - EXTRA_ARTICLES}")
    write_source(WORK / "source_a", docs[:articles])
    write_source(WORK / "source_b", docs[:articles + EXTRA_ARTICLES])
    shutil.rmtree(WORK / "index", ignore_errors=True)
    log(f"building index A from {articles} articles (unloaded, not measured)")
    started = time.perf_counter()
    build = manage("rebuild", "--source", str(WORK / "source_a"), "--index", str(WORK / "index"),
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = build.communicate()
    if build.returncode:
        raise SystemExit(f"rebuild of A failed: {err}")
    prepared = {"articles": articles, "build_seconds": round(time.perf_counter() - started, 1),
                "build_line": out.strip().splitlines()[-1], "ids": indexed_ids(WORK / "index")}
    stamp.write_text(json.dumps(prepared))
    log(prepared["build_line"])
    return prepared


def indexed_ids(index_dir: Path, wanted: int = 200) -> list[str]:
    """Ids the index really holds (skipped and duplicate articles are not there)."""
    sys.path.insert(0, str(REPO))
    from search import open_index
    from search.requests import SearchRequest

    index = open_index(index_dir)
    return [hit.id for page in (1, 2) for hit in index.search(SearchRequest(size=wanted // 2, page=page)).hits]


def request_paths(ids: list[str]) -> list[str]:
    """A fixed mix: API searches (some with filters and sorts), HTML pages, articles, health."""
    rnd = random.Random(11)
    paths = []
    for n in range(400):
        q = rnd.choice(QUERIES)
        kind = n % 10
        if kind < 5:
            params = {"q": q}
            if kind == 1:
                params["sort"] = "newest"
            if kind == 2:
                params["year"] = rnd.choice(["2020", "2021", "2026"])
            if kind == 3:
                params["page"] = "2"
            paths.append("/api/search?" + urlencode(params))
        elif kind < 7:
            paths.append("/search?" + urlencode({"q": q}))
        elif kind < 9:
            paths.append("/api/articles/" + quote(rnd.choice(ids), safe=""))
        else:
            paths.append("/healthz")
    return paths


# ---------------------------------------------------------------- load

def hostile_paths(count: int = 50) -> list[str]:
    """API searches of 100 distinct quoted stop-word pairs each (about 1,000 characters), each
    request its own pairs: the costliest query a user can type within the length limit."""
    rnd = random.Random(13)
    pairs = [f'"{a} {b}"' for a in STOP_WORDS for b in STOP_WORDS if a != b]
    return ["/api/search?" + urlencode({"q": " ".join(rnd.sample(pairs, 100))[:1000]}) for _ in range(count)]


def light_paths() -> list[str]:
    return ["/api/search?" + urlencode({"q": q}) for q in QUERIES]


class Load:
    """`concurrency` threads, each with a keep-alive connection, taking the paths in turn (at most
    `limit` requests in all)."""

    def __init__(self, port: int, paths: list[str], concurrency: int, limit: int | None = None):
        self.port, self.paths, self.concurrency, self.limit = port, paths, concurrency, limit
        self.sent = 0
        self.samples: list[tuple[float, float, int]] = []  # (start offset s, latency ms, status)
        self.errors: Counter = Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.t0 = 0.0

    def worker(self, offset: int) -> None:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        position = offset
        mine, errors = [], Counter()
        while not self.stop.is_set():
            if self.limit is not None:
                with self.lock:
                    if self.sent >= self.limit:
                        break
                    self.sent += 1
            path = self.paths[position % len(self.paths)]
            position += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                status = 0
                errors[type(error).__name__] += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
            mine.append((started - self.t0, (time.perf_counter() - started) * 1000, status))
        connection.close()
        with self.lock:
            self.samples.extend(mine)
            self.errors.update(errors)

    def start(self) -> list[threading.Thread]:
        self.t0 = time.perf_counter()
        step = max(1, len(self.paths) // self.concurrency)
        threads = [threading.Thread(target=self.worker, args=(i * step,), daemon=True)
                   for i in range(self.concurrency)]
        for thread in threads:
            thread.start()
        return threads


def healthz(port: int) -> int | None:
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        connection.request("GET", "/healthz")
        body = json.loads(connection.getresponse().read())
        connection.close()
        return body.get("articles")
    except (OSError, ValueError, http.client.HTTPException):
        return None


def wait_until_serving(port: int, process: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited before serving")
        count = healthz(port)
        if count is not None:
            return count
        time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz in time")


def summary(samples: list[tuple[float, float, int]], seconds: float) -> dict:
    latencies = [ms for _, ms, _ in samples]
    statuses = Counter(status for _, _, status in samples)
    return {
        "requests": len(samples),
        "rps": round(len(samples) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else math.nan,
        "errors": sum(n for s, n in statuses.items() if s != 200),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def run(args) -> dict:
    prepared = prepare(args.articles)
    index_dir = WORK / "index"
    before = None
    port = free_port()
    server = serve(port, args.threads, index_dir)
    rebuild = None
    try:
        before = wait_until_serving(port, server)
        paths = request_paths(prepared["ids"])
        for path in paths[:40]:  # warm the caches and the per-thread searchers
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
        # Aim the swap at the middle of the window: start the rebuild early by what an unloaded
        # build takes minus half the window (the loaded tail runs slower, so this errs late).
        lead = max(0.0, prepared["build_seconds"] * (args.articles + EXTRA_ARTICLES) / args.articles
                   - args.seconds / 2)
        rebuild_started = time.perf_counter()
        rebuild = manage("rebuild", "--source", str(WORK / "source_b"), "--index", str(index_dir),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        log(f"rebuild of B started; load window starts in {lead:.0f} s")
        while time.perf_counter() - rebuild_started < lead and rebuild.poll() is None:
            time.sleep(0.2)
        load = Load(port, paths, args.concurrency)
        threads = load.start()
        log(f"load: {args.concurrency} clients on 127.0.0.1:{port}")
        swap_at = None
        end = args.seconds
        while True:
            now = time.perf_counter() - load.t0
            if swap_at is None:
                count = healthz(port)
                if count is not None and count != before:
                    swap_at = now
                    log(f"swap seen at t={swap_at:.1f} s ({before} → {count} articles)")
                    end = max(args.seconds, swap_at + 10)
            if now >= min(end, MAX_SECONDS) and (swap_at is not None or rebuild.poll() is not None
                                                  or now >= MAX_SECONDS):
                break
            if now >= end and swap_at is None:
                end = now + 1  # still waiting for the swap: keep the load on
            time.sleep(0.1)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=90)
        window = time.perf_counter() - load.t0
        out, err = rebuild.communicate(timeout=MAX_SECONDS)
        rebuild_seconds = time.perf_counter() - rebuild_started
        after = healthz(port)
    finally:
        if rebuild is not None and rebuild.poll() is None:
            rebuild.send_signal(signal.SIGINT)
            rebuild.wait(timeout=60)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    samples = load.samples
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "articles_before": before, "articles_after": after,
        "build_a": prepared["build_line"], "build_a_seconds": prepared["build_seconds"],
        "rebuild_line": (out.strip().splitlines() or [""])[-1], "rebuild_exit": rebuild.returncode,
        "rebuild_seconds": round(rebuild_seconds, 1), "rebuild_lead_s": round(lead, 1),
        "window_s": round(window, 1), "requested_s": args.seconds, "swap_at_s": None if swap_at is None else round(swap_at, 1),
        "concurrency": args.concurrency, "server_threads": args.threads,
        "all": summary(samples, window),
        "connection_errors": dict(load.errors),
    }
    if swap_at is not None:
        result["before_swap"] = summary([s for s in samples if s[0] < swap_at], swap_at)
        result["after_swap"] = summary([s for s in samples if s[0] >= swap_at], window - swap_at)
        result["around_swap"] = summary([s for s in samples if abs(s[0] - swap_at) <= 5], 10)
    return result


# ---------------------------------------------------------------- hostile queries

def hostile_run(args) -> dict:
    """Light API searches (`concurrency` clients) for `seconds` alone, then for `seconds` beside
    HOSTILE_CLIENTS clients sending hostile queries; one server, one run, so the ratio holds on a
    shared machine."""
    prepared = prepare(args.articles)
    port = free_port()
    server = serve(port, args.threads, WORK / "index")
    phases = {}
    try:
        articles = wait_until_serving(port, server)
        light, hostile = light_paths(), hostile_paths()
        for path in light + hostile[:4]:  # warm the caches
            connection = http.client.HTTPConnection(HOST, port, timeout=60)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()
        for phase in ("quiet", "hostile"):
            loads = {"light": Load(port, light, args.concurrency)}
            if phase == "hostile":
                loads["hostile"] = Load(port, hostile, HOSTILE_CLIENTS, limit=HOSTILE_MAX_REQUESTS)
            threads = [t for load in loads.values() for t in load.start()]
            log(f"{phase}: {args.concurrency} light clients"
                + (f" and {HOSTILE_CLIENTS} hostile ones" if phase == "hostile" else "") + f" for {args.seconds:g} s")
            time.sleep(args.seconds)
            for load in loads.values():
                load.stop.set()
            for thread in threads:
                thread.join(timeout=90)
            window = time.perf_counter() - loads["light"].t0
            phases[phase] = {name: summary(load.samples, window) for name, load in loads.items()}
    finally:
        stop_server(server)
    quiet, loaded = phases["quiet"]["light"], phases["hostile"]["light"]
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "articles": articles, "build_a": prepared["build_line"], "seconds": args.seconds,
        "light_clients": args.concurrency, "hostile_clients": HOSTILE_CLIENTS, "server_threads": args.threads,
        "phases": phases,
        "p95_ratio": round(loaded["p95_ms"] / quiet["p95_ms"], 2) if quiet["p95_ms"] else None,
        "p50_ratio": round(loaded["p50_ms"] / quiet["p50_ms"], 2) if quiet["p50_ms"] else None,
    }


def write_hostile_results(result: dict) -> None:
    rows = [("light, alone", result["phases"]["quiet"]["light"]),
            ("light, beside hostile", result["phases"]["hostile"]["light"]),
            ("hostile", result["phases"]["hostile"]["hostile"])]
    table = "\n".join(
        f"| {label} | {r['requests']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} "
        f"| {r['errors']} |" for label, r in rows)
    section = f"""{HOSTILE_RESULTS}

`bench/loadtest.py --hostile` — `manage.py serve` (waitress, {result['server_threads']} threads) on 127.0.0.1,
{result['articles']} articles ({result['build_a']}). {result['light_clients']} clients send light API searches
(the {len(QUERIES)} queries of the swap test) for {result['seconds']:g} s alone, then {result['seconds']:g} s more
beside {result['hostile_clients']} clients sending hostile ones: 100 distinct quoted stop-word pairs, about
1,000 characters, each request its own (at most {HOSTILE_MAX_REQUESTS} of them). The per-query limits
(search/query/limits.py: 16 phrases, 32 OR alternatives, 64 terms, a 1.5 s budget) cut each hostile query to
its first 16 phrases. Run {result['when']} on {result['machine']['cpus']} CPUs shared with other work (load
average at the end {result['machine']['loadavg_at_end']}): compare the two phases of this run, not absolute figures.
Heavy queries take turns (one at a time) and each waiting one holds a server thread: with fewer threads than
hostile clients plus light ones, light requests queue for a thread, so the server runs with
`--threads {result['server_threads']}` here.

| clients | requests | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors |
|---|---|---|---|---|---|---|---|
{table}

**Light queries' p95 beside the hostile ones: {result['p95_ratio']}× their p95 alone** (p50 {result['p50_ratio']}×;
target ≤ 2×).

Reproduce: `.venv/bin/python bench/loadtest.py --hostile --articles {result['articles']} --seconds {result['seconds']:g} \\
--concurrency {result['light_clients']} --threads {result['server_threads']}`.
"""
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    kept = previous.split(HOSTILE_RESULTS)[0].rstrip()
    RESULTS.write_text((kept + "\n\n" if kept else "") + section, encoding="utf-8")
    (WORK / "hostile_result.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))


def write_results(result: dict) -> None:
    rows = [("whole window", result["all"])]
    for key, label in (("before_swap", "before the swap"), ("around_swap", "swap ± 5 s"),
                       ("after_swap", "after the swap")):
        if key in result:
            rows.append((label, result[key]))
    table = "\n".join(
        f"| {label} | {r['requests']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} "
        f"| {r['errors']} |" for label, r in rows)
    extended = result["swap_at_s"] is not None and result["swap_at_s"] + 10 > result["requested_s"]
    text = f"""# Load test across an index swap

`bench/loadtest.py` — `manage.py serve` (waitress, {result['server_threads']} threads) on 127.0.0.1 under
{result['concurrency']} concurrent keep-alive clients for {result['window_s']} s (the last requests
included), while `manage.py rebuild`
builds a new generation and swaps it in. Requests: a fixed mix of `/api/search` (filters, sort, page 2),
`/search` (HTML), `/api/articles/<id>` and `/healthz`; every request is valid, so any answer but 200, and
any connection error, is an error.

Run {result['when']} on {result['machine']['cpus']} CPUs, Python {result['machine']['python']}
(load average at the end {result['machine']['loadavg_at_end']}). The clients, the server and the rebuild share
these CPUs with whatever else runs, so requests/s and latency are a floor for this machine; the error
count is the figure this test is about.

- Index before: {result['articles_before']} articles (news24h_sample + unc_dantri_news; {result['build_a']}).
- Rebuild: started {result['rebuild_lead_s']} s before the window, took {result['rebuild_seconds']} s under load
  (exit {result['rebuild_exit']}; `{result['rebuild_line']}`).
- Swap seen by `/healthz` at t = {result['swap_at_s']} s; index after: {result['articles_after']} articles.
{"- The window was extended past 60 s to 10 s after the swap." if extended else ""}

| phase | requests | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors |
|---|---|---|---|---|---|---|---|
{table}

Connection errors: {result['connection_errors'] or 'none'}. Status counts: {result['all']['statuses']}.

**Errors across the swap: {result['all']['errors']}.**

Reproduce: `.venv/bin/python bench/loadtest.py` (first run prepares bench/work/loadtest/, a few minutes).
"""
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if HOSTILE_RESULTS in previous:  # the hostile-query section is another run's: keep it
        text += "\n" + HOSTILE_RESULTS + previous.split(HOSTILE_RESULTS, 1)[1]
    RESULTS.write_text(text, encoding="utf-8")
    (WORK / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000, help="articles in index A (B has 100 more)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--hostile", action="store_true",
                        help="light queries alone, then beside 8 hostile clients (no rebuild)")
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= 64 or not 1 <= args.seconds <= MAX_SECONDS:
        parser.error("concurrency must be 1..64 and seconds 1..600")
    WORK.mkdir(parents=True, exist_ok=True)
    if args.prepare_only:
        prepare(args.articles)
        return 0
    if args.hostile:
        result = hostile_run(args)
        write_hostile_results(result)
        print(json.dumps({k: result[k] for k in ("phases", "p95_ratio", "p50_ratio")}, ensure_ascii=False, indent=1))
        errors = sum(r["errors"] for phase in result["phases"].values() for r in phase.values())
        return 0 if errors == 0 else 1
    result = run(args)
    write_results(result)
    print(json.dumps({k: result[k] for k in ("all", "swap_at_s", "articles_before", "articles_after")},
                     ensure_ascii=False, indent=1))
    ok = result["all"]["errors"] == 0 and not result["connection_errors"] and result["swap_at_s"] is not None
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

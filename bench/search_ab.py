"""In-process search latency of two checkouts of vnsearch over the perf query set
(bench/queries.json), rounds interleaved so that a noisy machine weighs on both alike.

    .venv/bin/python bench/search_ab.py OLD_REPO OLD_INDEX NEW_REPO NEW_INDEX [--rounds 3] [--same-results]

Each checkout runs in its own process (its own `search` package, first on sys.path) against
an index built by that checkout; one round is every query once, with facets and snippets
(SearchIndex.search, as the web API). Prints p50/p95/p99 of each and the ratios.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import latency_summary  # noqa: E402

WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from search import open_index
try:
    from search.requests import SearchRequest
except ImportError:  # a checkout from before search/requests.py
    from search.results import SearchRequest
index = open_index(sys.argv[2])
queries = json.load(open(sys.argv[3]))["queries"]
requests = [SearchRequest(q=q["q"], filters=q["filters"], sort=q["sort"]) for q in queries]
for r in requests[:20]:
    index.search(r)
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "results":  # what each query answers: total, top 50 ids and scores, notices
        answers = []
        for q in queries:
            found = index.search(SearchRequest(q=q["q"], filters=q["filters"], sort=q["sort"], size=50))
            answers.append([found.total, [(h.id, h.score) for h in found.hits], found.notices])
        print(json.dumps(answers), flush=True)
        continue
    times = []
    for r in requests:
        t = time.perf_counter()
        index.search(r)
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps(times), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_repo")
    parser.add_argument("old_index")
    parser.add_argument("new_repo")
    parser.add_argument("new_index")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", default=str(HERE / "queries.json"))
    parser.add_argument("--same-results", action="store_true",
                        help="first check that both give every query the same total, top 50 (ids and scores) "
                             "and notices, after the timed rounds (warm: a cold read may pass the time budget)")
    args = parser.parse_args()
    workers = {}
    for name, repo, index in (("old", args.old_repo, args.old_index), ("new", args.new_repo, args.new_index)):
        workers[name] = subprocess.Popen([sys.executable, "-c", WORKER, repo, index, args.queries],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert workers[name].stdout.readline().strip() == "ready"
    times = {name: [] for name in workers}
    for _ in range(args.rounds):
        for name, worker in workers.items():
            worker.stdin.write("round\n")
            worker.stdin.flush()
            times[name] += json.loads(worker.stdout.readline())
    answers = {}
    if args.same_results:
        for name, worker in workers.items():
            worker.stdin.write("results\n")
            worker.stdin.flush()
            answers[name] = json.loads(worker.stdout.readline())
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()
    if answers:
        queries = json.loads(Path(args.queries).read_text(encoding="utf-8"))["queries"]
        differ = [q["q"] for q, a, b in zip(queries, answers["old"], answers["new"]) if a != b]
        print(f"same results: {len(queries) - len(differ)} of {len(queries)} queries"
              + (f"; differ: {differ[:10]}" if differ else ""))
    summary = {name: latency_summary(values) for name, values in times.items()}
    for name, s in summary.items():
        print(f"{name}: {json.dumps(s)}")
    for key in ("p50", "p95", "p99"):
        if key in summary["old"] and summary["old"][key]:
            print(f"{key} new/old: {summary['new'][key] / summary['old'][key]:.2f}")


if __name__ == "__main__":
    main()

"""Related articles: latency over random article ids of an existing index, and a reading sample.

    .venv/bin/python bench/related.py --index /work/big/index-main --samples 300
    .venv/bin/python bench/related.py --index DIR --show 10    # print 10 articles and their related

Each id is asked once through SearchIndex.related (what the route answers, hits built), after one
warm-up call. Two passes over two disjoint random samples: `cold`, the first requests of a fresh
process (every syllable's counts read from its positions), then `warm`, as many other articles
once the first ones filled related.py's cache of common syllables (what a server that has been up
a while sees). Figures: p50, p95, p99, max in ms; the machine's load average at the start.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, percentile  # noqa: E402

from search import open_index  # noqa: E402


def random_ids(index, count: int, seed: int) -> list[str]:
    view = index._snapshot()
    live = np.flatnonzero(view.columns.live)
    rng = random.Random(seed)
    picked = rng.sample(list(live), min(count, len(live)))
    return [view.store.stored(int(d))["id"] for d in picked]


def measure(index, ids: list[str]) -> dict:
    index.related(ids[0])  # warm: the vocabulary, the thread's stored-field searcher
    times = []
    for article_id in ids:
        started = time.perf_counter()
        index.related(article_id)
        times.append((time.perf_counter() - started) * 1000)
    return {"samples": len(times), **{f"p{p}": round(percentile(times, p), 1) for p in (50, 95, 99)},
            "max": round(max(times), 1)}


def show(index, ids: list[str]) -> None:
    for article_id in ids:
        article = index.get(article_id)
        print(f"\n== {article.title}  [{article_id}]")
        for hit in index.related(article_id).hits:
            print(f"   {hit.score:8.2f}  {hit.title}  [{hit.id}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--show", type=int, default=0, help="print this many articles and their related")
    args = parser.parse_args()
    index = open_index(args.index)
    if args.show:
        show(index, random_ids(index, args.show, args.seed + 1))
        return
    ids = random_ids(index, 2 * args.samples, args.seed)
    cold = measure(index, ids[:args.samples])
    warm = measure(index, ids[args.samples:])
    print(json.dumps({"articles": index.count(), "cold": cold, "warm": warm, "machine": machine()},
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

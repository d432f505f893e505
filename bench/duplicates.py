"""Republished copies (issue 20): precision and recall of grouping on labelled pairs, the groups
of a whole index, and what grouping costs in rebuild time.

    .venv/bin/python bench/duplicates.py                      # labelled pairs (tests/data/copies_pairs.tsv)
    .venv/bin/python bench/duplicates.py --index DIR          # ... judged by DIR's groups (e.g. the 107k index)
    .venv/bin/python bench/duplicates.py --groups DIR         # how many groups DIR has, their sizes, the stage's time
    .venv/bin/python bench/duplicates.py --sample 10000       # rebuild a sample: grouping's share of the time

Labelled pairs: the articles of every pair are read from the corpora (VNSEARCH_CORPORA, default
/work/shared/corpora), indexed by the real rebuild into a temporary container (or looked up in
--index), and a pair is predicted "same" when both articles are in one group of copies, or when
ingest merged one into the other as an exact copy (same content key: it is indexed once).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CORPORA, NEWS_CORPORA, REPO, load_news, proportional_sample, read_jsonl_gz  # noqa: E402
from search import copies  # noqa: E402
from search.build import rebuild  # noqa: E402
from search.ingest import content_key, iter_pending  # noqa: E402
from search.ingest.readers import source_files  # noqa: E402
from search.snapshot import Snapshot  # noqa: E402

PAIRS = REPO / "tests" / "data" / "copies_pairs.tsv"


def read_pairs(path: Path = PAIRS) -> list[dict]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("corpus_a\t"):
            continue
        corpus_a, id_a, corpus_b, id_b, label, why = line.split("\t")
        rows.append({"corpus_a": corpus_a, "a": id_a, "corpus_b": corpus_b, "b": id_b, "same": label == "same",
                     "why": why})
    return rows


def corpus_articles(pairs: list[dict], corpora: Path = CORPORA) -> dict[str, dict]:
    """The records of every article the pairs name, by id (IDs missing from the corpora are absent)."""
    wanted: dict[str, set[str]] = {}
    for pair in pairs:
        wanted.setdefault(pair["corpus_a"], set()).add(pair["a"])
        wanted.setdefault(pair["corpus_b"], set()).add(pair["b"])
    found = {}
    for corpus, ids in wanted.items():
        for record in read_jsonl_gz(corpora / corpus / "docs.jsonl.gz"):
            if record["id"] in ids:
                found[record["id"]] = record
    return found


def build_index(records: dict[str, dict], root: Path) -> Path:
    source = root / "source"
    source.mkdir(parents=True)
    with open(source / "pairs.jsonl", "w", encoding="utf-8") as handle:
        for record in records.values():
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    rebuild(source, root / "index")
    return root / "index"


def exact_keys(source: Path) -> dict[str, str]:
    """Article id → content key, as ingest computes it."""
    keys = {}
    for _, item in iter_pending(source, source_files(source)):
        article = item.finish() if hasattr(item, "finish") else item
        if hasattr(article, "id"):
            keys[article.id] = content_key(article)
    return keys


def judge(pairs: list[dict], index: Path, keys: dict[str, str] | None, records: dict[str, dict]) -> dict:
    view = Snapshot.open(index)
    rows = []
    for pair in pairs:
        da, db = view.store.docnum_of(pair["a"]), view.store.docnum_of(pair["b"])
        if da is not None and db is not None:
            predicted = view.store.group_of(da) == view.store.group_of(db)
        elif keys is not None and pair["a"] in keys and pair["b"] in keys:
            predicted = keys[pair["a"]] == keys[pair["b"]]  # one merged into the other at ingest
        else:
            continue
        ha = copies.shingles(copies.text_hashes(records[pair["a"]].get("text") or ""))
        hb = copies.shingles(copies.text_hashes(records[pair["b"]].get("text") or ""))
        jaccard, containment = copies.overlap(ha, hb)
        rows.append({**pair, "predicted": bool(predicted), "jaccard": round(jaccard, 3),
                     "containment": round(containment, 3)})
    tp = sum(r["same"] and r["predicted"] for r in rows)
    fp = sum(not r["same"] and r["predicted"] for r in rows)
    fn = sum(r["same"] and not r["predicted"] for r in rows)
    tn = sum(not r["same"] and not r["predicted"] for r in rows)
    return {"pairs": len(rows), "same": tp + fn, "different": fp + tn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(tp / max(1, tp + fp), 3), "recall": round(tp / max(1, tp + fn), 3),
            "errors": [r for r in rows if r["same"] != r["predicted"]]}


def labelled(args) -> dict:
    pairs = read_pairs(Path(args.pairs))
    records = corpus_articles(pairs, Path(args.corpora))
    pairs = [p for p in pairs if p["a"] in records and p["b"] in records]
    if args.index:
        return judge(pairs, Path(args.index), None, records)
    with tempfile.TemporaryDirectory() as tmp:
        index = build_index(records, Path(tmp))
        return judge(pairs, index, exact_keys(Path(tmp) / "source"), records)


def group_stats(index: Path) -> dict:
    view = Snapshot.open(index)
    groups = np.asarray(view.store.groups)[view.store.live]
    sizes = np.bincount(groups)
    sizes = sizes[sizes > 1]
    report = json.loads((view.generation / "report.json").read_text(encoding="utf-8"))
    return {"articles": int(view.store.live.sum()), "groups": int(len(sizes)),
            "articles_in_groups": int(sizes.sum()), "largest": int(sizes.max()) if len(sizes) else 0,
            "sizes": dict(sorted(Counter(int(s) for s in sizes).items())[:12]),
            "exact_copies_merged": report.get("duplicates"), "rebuild_seconds": report.get("seconds"),
            "grouping_seconds": (report.get("copies") or {}).get("seconds")}


def sample_cost(size: int, corpora: Path) -> dict:
    docs = proportional_sample(load_news(corpora, NEWS_CORPORA), size)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        with open(source / "sample.jsonl", "w", encoding="utf-8") as handle:
            for doc in docs:
                handle.write(json.dumps({k: v for k, v in doc.items() if k != "corpus"}, ensure_ascii=False) + "\n")
        started = time.perf_counter()
        summary = rebuild(source, Path(tmp) / "index", procs=2)
        total = time.perf_counter() - started
        stats = group_stats(Path(tmp) / "index")
    grouping = summary.copies["seconds"]
    return {"articles": len(docs), "rebuild_seconds": round(total, 1), "grouping_seconds": grouping,
            "grouping_share": round(grouping / max(1e-9, total - grouping), 4), **{k: stats[k] for k in
            ("groups", "articles_in_groups", "largest")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", default=str(PAIRS))
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument("--index", help="judge the labelled pairs by this index's groups")
    parser.add_argument("--groups", metavar="DIR", help="groups of an index and its grouping stage's time")
    parser.add_argument("--sample", type=int, help="rebuild this many articles: grouping's share of the time")
    args = parser.parse_args()
    if args.groups:
        print(json.dumps(group_stats(Path(args.groups)), ensure_ascii=False, indent=1))
        return
    if args.sample:
        print(json.dumps(sample_cost(args.sample, Path(args.corpora)), ensure_ascii=False, indent=1))
        return
    if not (Path(args.corpora) / "vntc_news").is_dir():
        sys.exit(f"corpora not found at {args.corpora} (VNSEARCH_CORPORA)")
    result = labelled(args)
    errors = result.pop("errors")
    print(json.dumps(result, indent=1))
    for row in errors:
        kind = "missed" if row["same"] else "wrongly grouped"
        print(f"{kind}: {row['a']} / {row['b']} J={row['jaccard']} C={row['containment']} ({row['why']})")


if __name__ == "__main__":
    main()

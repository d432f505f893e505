"""Precision and recall of `province` and `provinces` on the labelled set.

    python bench/metadata_eval.py [--labels tests/data/metadata_labels.jsonl] [--errors]

Each line of the labelled set names a corpus article (or a seed file) with the main province a
careful reader gives it (`province`, or null) and every province it is about (`provinces`, main
first; a row without the key counts as [province]). `province` precision is over the articles
given one; `provinces` precision and recall count (article, province) pairs. Run against an older
checkout with PYTHONPATH=<its root> to compare (the script only needs `search.ingest.metadata`).
"""
from __future__ import annotations

import argparse
import gzip
import os
import json
from pathlib import Path

from search.ingest.metadata import article_fields_from_record, article_fields_from_text

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "metadata_labels.jsonl"
CORPORA = Path(os.environ.get("VNSEARCH_CORPORA", ROOT.parent / "shared" / "corpora"))
SEEDS = CORPORA.parent / "seeds"


def load_articles(labels: list[dict], corpora: Path) -> dict[str, dict]:
    wanted: dict[str, set[str]] = {}
    for row in labels:
        if row["corpus"] != "seeds":
            wanted.setdefault(row["corpus"], set()).add(row["id"])
    found: dict[str, dict] = {}
    for corpus, ids in wanted.items():
        with gzip.open(corpora / corpus / "docs.jsonl.gz", "rt", encoding="utf-8") as lines:
            for line in lines:
                head = line[:120].split('"', 4)  # lines open with '{"id": "<id>"'
                if len(head) > 3 and head[3] in ids:
                    record = json.loads(line)
                    found[record["id"]] = record
    return found


def gold_provinces(row: dict) -> list[str]:
    if "provinces" in row:
        return row["provinces"]
    return [row["province"]] if row["province"] else []


def extracted(row: dict, articles: dict[str, dict]) -> dict:
    if row["corpus"] == "seeds":
        path = SEEDS / row["id"] if (SEEDS / row["id"]).exists() else ROOT / "index_data" / "articles" / row["id"]
        return article_fields_from_text(path.read_text(encoding="utf-8"))
    return article_fields_from_record(articles[row["id"]])


def evaluate(labels: list[dict], articles: dict[str, dict]) -> dict:
    main_given = main_correct = main_labelled = 0
    pairs_given = pairs_correct = pairs_labelled = 0
    errors = []
    for row in labels:
        fields = extracted(row, articles)
        main = fields["province"]
        got = fields.get("provinces")
        if got is None:  # a checkout before lists: its list is the main province
            got = [main] if main else []
        gold = gold_provinces(row)
        main_labelled += bool(row["province"])
        if main:
            main_given += 1
            main_correct += main == row["province"]
        pairs_given += len(set(got))
        pairs_labelled += len(set(gold))
        pairs_correct += len(set(got) & set(gold))
        if main != row["province"] or set(got) != set(gold):
            errors.append({"id": row["id"], "province": [main, row["province"]],
                           "extra": sorted(set(got) - set(gold)), "missed": sorted(set(gold) - set(got))})
    ratio = lambda a, b: round(a / b, 3) if b else 1.0  # noqa: E731
    return {
        "articles": len(labels),
        "province": {"precision": ratio(main_correct, main_given), "recall": ratio(main_correct, main_labelled),
                     "correct": main_correct, "given": main_given, "labelled": main_labelled},
        "provinces": {"precision": ratio(pairs_correct, pairs_given), "recall": ratio(pairs_correct, pairs_labelled),
                      "correct": pairs_correct, "given": pairs_given, "labelled": pairs_labelled},
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--errors", action="store_true", help="list the articles that differ from their label")
    args = parser.parse_args()
    labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = evaluate(labels, load_articles(labels, args.corpora))
    for name in ("province", "provinces"):
        r = report[name]
        print(f"{name:<10} precision {r['correct']}/{r['given']} = {r['precision']:.3f}   "
              f"recall {r['correct']}/{r['labelled']} = {r['recall']:.3f}")
    print(f"({report['articles']} labelled articles)")
    if args.errors:
        for error in report["errors"]:
            print(json.dumps(error, ensure_ascii=False))


if __name__ == "__main__":
    main()

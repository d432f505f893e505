"""Tune ranking constants in process: build each retrieval set's index once, then MRR@10 of
every set, as typed and accentless, for the current constants and for each spec given.

    .venv/bin/python bench/tune_relevance.py pair=0.8 question=0.5,k1=1.0

A spec names fields of search.query.weights.Weights; each is run with an index opened with that
Weights instance (the old spellings W_PAIR=…, RK.K1=… are read too).
Indexes are kept in $WORK (default /tmp/reltune); delete them after changing the analysis.
$LIMIT: N dev questions of each set. Not the benchmark: bench/relevance.py is.
"""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import relevance as R  # noqa: E402
from dataclasses import fields, replace  # noqa: E402

from search import open_index, rebuild  # noqa: E402
from search.query import DEFAULT_WEIGHTS, Weights  # noqa: E402
from search.requests import SearchRequest  # noqa: E402

SETS = ["viquad_retrieval", "zalo_wikiqa_retrieval", "vicov19qa_retrieval"]
LIMIT = int(os.environ.get("LIMIT", "0")) or None
WORK = Path(os.environ.get("WORK", "/tmp/reltune"))


def load() -> dict:
    data = {}
    for name in SETS:
        dataset = R.load_retrieval_set(R.DEFAULT_CORPORA, name, LIMIT)
        source = WORK / name / "source"
        source.mkdir(parents=True, exist_ok=True)
        link = source / dataset.passages_path.name
        if not link.exists():
            link.symlink_to(dataset.passages_path.resolve())
        if not (WORK / name / "index" / "current").exists():
            rebuild(source, WORK / name / "index", procs=1)
        data[name] = (dataset, WORK / name / "index")
    return data


def evaluate(data: dict, label: str = "", weights: Weights = DEFAULT_WEIGHTS) -> dict:
    out = {}
    for name, (dataset, index_dir) in data.items():
        index = open_index(index_dir, weights=weights)
        for form in ("acc", "noacc"):
            ranks = []
            for q in dataset.questions:
                text = q.text if form == "acc" else R.strip_diacritics(q.text)
                selection = index._select(SearchRequest(q=text, size=10))  # search() without facets, snippets
                docnums, _ = index._page(selection, 1, 10)
                ids = [selection.view.store.stored(d)["id"] for d in docnums]
                ranks.append(R.reciprocal_rank(ids, q.relevant))
            out[(name, form)] = sum(ranks) / len(ranks)
    acc = sum(out[(n, "acc")] for n in SETS) / len(SETS)
    bare = sum(out[(n, "noacc")] for n in SETS) / len(SETS)
    cells = " ".join(f"{out[(n, 'acc')]:.3f}/{out[(n, 'noacc')]:.3f}" for n in SETS)
    print(f"{label:40s} {cells}  avg {acc:.4f}/{bare:.4f}", flush=True)
    return out


def weights_of(spec: str) -> Weights:
    """"pair=0.8,k1=1.0" (or "W_PAIR=0.8,RK.K1=1.0") → DEFAULT_WEIGHTS with those fields changed."""
    names = {f.name for f in fields(Weights)}
    changes = {}
    for item in spec.split(","):
        key, value = item.split("=")
        name = key.removeprefix("RK.").removeprefix("W_").lower()
        if name not in names:
            raise SystemExit(f"unknown weight {key!r}; one of: {', '.join(sorted(names))}")
        changes[name] = float(value)
    return replace(DEFAULT_WEIGHTS, **changes)


if __name__ == "__main__":
    data = load()
    evaluate(data, "current")
    for spec in sys.argv[1:]:
        evaluate(data, spec, weights_of(spec))

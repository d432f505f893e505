"""Tune ranking constants in process: build each retrieval set's index once, then MRR@10 of
every set, as typed and accentless, for the current constants and for each spec given.

    .venv/bin/python bench/tune_relevance.py W_PAIR=0.8 W_QUESTION=0.5,RK.K1=1.0

A spec patches search/query.py constants (`RK.` prefix: attributes of ranking.WEIGHTING).
Indexes are kept in $WORK (default /tmp/reltune); delete them after changing the analysis.
$LIMIT: N dev questions of each set. Not the benchmark: bench/relevance.py is.
"""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import relevance as R  # noqa: E402
import search.query as Q  # noqa: E402
import search.ranking as RK  # noqa: E402
from search import open_index, rebuild  # noqa: E402
from search.results import SearchRequest  # noqa: E402

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
        data[name] = (dataset, open_index(WORK / name / "index"))
    return data


def evaluate(data: dict, label: str = "") -> dict:
    out = {}
    for name, (dataset, index) in data.items():
        for form in ("acc", "noacc"):
            ranks = []
            for q in dataset.questions:
                text = q.text if form == "acc" else R.strip_diacritics(q.text)
                selection = index._select(SearchRequest(q=text, size=10))  # search() without facets, snippets
                docnums, _ = index._page(selection, 1, 10)
                ids = [selection.searcher.stored_fields(d)["id"] for d in docnums]
                ranks.append(R.reciprocal_rank(ids, q.relevant))
            out[(name, form)] = sum(ranks) / len(ranks)
    acc = sum(out[(n, "acc")] for n in SETS) / len(SETS)
    bare = sum(out[(n, "noacc")] for n in SETS) / len(SETS)
    cells = " ".join(f"{out[(n, 'acc')]:.3f}/{out[(n, 'noacc')]:.3f}" for n in SETS)
    print(f"{label:40s} {cells}  avg {acc:.4f}/{bare:.4f}", flush=True)
    return out


def patched(spec: str) -> dict:
    saved = {}
    for item in spec.split(","):
        key, value = item.split("=")
        owner, attr = (RK.WEIGHTING, key[3:]) if key.startswith("RK.") else (Q, key)
        saved[(owner, attr)] = getattr(owner, attr)
        setattr(owner, attr, float(value))
    return saved


if __name__ == "__main__":
    data = load()
    evaluate(data, "current")
    for spec in sys.argv[1:]:
        saved = patched(spec)
        for _, index in data.values():  # cached postings hold scores made with the old constants
            engine = index._view_now().engine
            engine._cache.clear()
            engine._cached = 0
        evaluate(data, spec)
        for (owner, attr), value in saved.items():
            setattr(owner, attr, value)

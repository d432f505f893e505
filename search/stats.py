"""What `stats` tells of an index: its size, how many articles have each field, the values of
each facet with the most articles, and what its last rebuild or update reported."""
from __future__ import annotations

from . import facets
from .snapshot import Snapshot
from .store.container import read_report


def index_stats(view: Snapshot) -> dict:
    """`stats`: articles, coverage of each field, the top values of each facet, the report's
    build time, source, republished copies and skipped items."""
    columns = view.columns
    live = columns.live
    total = int(live.sum())
    report = read_report(view.generation)
    shares, top = {}, {}
    for name in ("province", "year", "source", "category"):
        shares[name] = int((live & (columns.codes[name] > 0)).sum())
        top[name] = facets.top_values(columns, name, live)
    shares["author"] = int((live & view.store.arrays.ints["has_author"]).sum())
    return {
        "articles": total,
        "generation": view.generation.name,
        "built_at": report.get("built_at"),
        "source": report.get("source"),
        "duplicates": report.get("duplicates", 0),
        "with": {k: {"count": v, "share": round(v / total, 4) if total else 0.0} for k, v in shares.items()},
        "top": top,
        "skipped": report.get("skipped", []),
    }

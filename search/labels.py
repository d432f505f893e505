"""Vietnamese labels of category and source codes (`education` → Giáo dục, `dantri` → Dân trí),
from search/data/labels.json. Applied at ingest, so the stored value, facets, filters, JSON,
exports and pages all show the label; a filter given as a code is read as its label."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data" / "labels.json"
LABELLED_FIELDS = ("category", "source")


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, str | None]]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    return {name: {code.lower(): label for code, label in data[name].items()} for name in LABELLED_FIELDS}


def label(field: str, value: str | None) -> str | None:
    """The label of a code (None for a code that names no category, such as `trang-chu`);
    a value that is not a known code is kept as it is."""
    if value is None or field not in LABELLED_FIELDS:
        return value
    table = _tables()[field]
    code = value.strip().lower()
    return table[code] if code in table else value


def filter_value(field: str, value: str) -> str:
    """A filter value as it is matched: a known code becomes its label (`education` = Giáo dục)."""
    labelled = label(field, value)
    return value if labelled is None else labelled

"""Facets: per-document codes of each facet and of the date, filter masks (one facet's values
OR-ed), and disjunctive counts (each facet's counts ignore its own filter), all as numpy arrays
over one generation's documents. How to add a facet: docs/ARCHITECTURE.md."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import numpy as np

from . import labels
from .articles import FACET_FIELDS, MULTI_VALUED, UNKNOWN
from .query import ParsedQuery
from .results import FACET_TITLES, FacetValue
from .store.arrays import DATE_COLUMN
from .store.reader import GenerationReader
from .text import fold_accents

STATS_TOP = 10  # values of each facet listed by stats, most articles first


def filter_key(value: str) -> str:
    """Filter values match case- and accent-insensitively: "long an" = "Long An"."""
    return " ".join(fold_accents(value).lower().replace("-", " ").split())


@dataclass
class CodeLists:
    """Every code of a multi-valued facet, flattened: entry k is code `flat[k]` of document
    `owner[k]`; a document without a value has one entry, code 0 (unknown)."""

    owner: np.ndarray  # int64 per entry: its docnum, ascending
    flat: np.ndarray  # int32 per entry: a code


@dataclass
class Columns:
    """Per-document facet codes and date ranks of one index version."""

    size: int
    live: np.ndarray  # bool per docnum: not deleted
    codes: dict[str, np.ndarray]  # facet -> int32 code per docnum (of the main value); code 0 = unknown
    values: dict[str, list[str]]  # facet -> code -> value ("" at 0)
    keys: dict[str, dict[str, list[int]]]  # facet -> filter_key(value) -> codes ("Sức khỏe", "Sức khoẻ")
    date_values: list[str]  # the distinct ISO datekeys, ascending
    date_rank: np.ndarray  # int per docnum: its datekey's place in date_values; -1 when undated
    lists: dict[str, CodeLists] = field(default_factory=dict)  # multi-valued facets (MULTI_VALUED): every code of each document

    @classmethod
    def load(cls, reader: GenerationReader) -> "Columns":
        """From the generation's arrays (memory-mapped: nothing per document is built here)."""
        arrays = reader.arrays
        codes, values, keys, lists = {}, {}, {}, {}
        for name in FACET_FIELDS:
            codes[name] = arrays.codes[name]
            values[name] = arrays.values[name]
            if name in MULTI_VALUED:
                lists[name] = CodeLists(arrays.owner[name], arrays.flat[name])
            keys[name] = {}
            for i, v in enumerate(values[name]):
                if v:
                    keys[name].setdefault(filter_key(v), []).append(i)
        dates = arrays.values[DATE_COLUMN]
        return cls(reader.size, reader.live, codes, values, keys, dates[1:],
                   arrays.codes[DATE_COLUMN].astype(np.int64) - 1, lists)

    def having(self, name: str, wanted: np.ndarray) -> np.ndarray:
        """Bool per docnum: the document has one of the `wanted` codes of facet `name`."""
        lists = self.lists.get(name)
        if lists is None:
            return np.isin(self.codes[name], wanted)
        mask = np.zeros(self.size, dtype=bool)
        mask[lists.owner[np.isin(lists.flat, wanted)]] = True
        return mask

    def counts(self, name: str, selected: np.ndarray) -> np.ndarray:
        """Documents per code of facet `name` among the selected ones, each under every value it has."""
        lists = self.lists.get(name)
        if lists is None:
            return np.bincount(self.codes[name][selected], minlength=len(self.values[name]))
        return np.bincount(lists.flat[selected[lists.owner]], minlength=len(self.values[name]))


def facet_mask(columns: Columns, name: str, values: list[str]) -> np.ndarray:
    wanted = []
    for value in values:
        key = filter_key(labels.filter_value(name, str(value)))
        span = year_span(str(value)) if name == "year" else None
        if key == filter_key(UNKNOWN):
            wanted.append(0)
        elif span:
            wanted.extend(year_codes(columns, *span))
        elif key in columns.keys[name]:
            wanted.extend(columns.keys[name][key])
    return columns.having(name, np.array(wanted, dtype=np.int32))


def query_masks(parsed: ParsedQuery, columns: Columns) -> list[np.ndarray]:
    masks = [facet_mask(columns, name, values) for name, values in parsed.filters.items()]
    if parsed.year_range:
        years = year_codes(columns, *parsed.year_range)
        masks.append(np.isin(columns.codes["year"], np.array(years, dtype=np.int32)))
    return masks


def date_mask(columns: Columns, date_from: str | None, date_to: str | None) -> np.ndarray | None:
    if not date_from and not date_to:
        return None
    low, high = date_from or "0000-01-01", date_to or "9999-12-31"
    # The datekeys are sorted, so their first ten characters are too: the wanted ones are a range.
    days = [d[:10] for d in columns.date_values]
    first, last = bisect.bisect_left(days, low), bisect.bisect_right(days, high)
    if first >= last:
        return np.zeros(columns.size, dtype=bool)
    rank = columns.date_rank
    return (rank >= first) & (rank < last)


def facet_values(columns: Columns, name: str, base: np.ndarray, selected: list) -> list[FacetValue]:
    counts = columns.counts(name, base)
    return facet_list(name, [(columns.values[name][code], int(counts[code])) for code in np.flatnonzero(counts)],
                      selected)


def facet_list(name: str, counted: list[tuple[str, int]], selected: list) -> list[FacetValue]:
    """A facet's values as shown: `counted` the (value, count) of each value found ("" for the
    articles without one), the selected ones marked, a selected range or a selected value
    without results kept visible, in the facet's order. Both backends count; this shows."""
    selected = [labels.filter_value(name, str(v)) for v in selected]
    selected_keys = {filter_key(v) for v in selected}
    out = []
    for raw, count in counted:
        value = raw or UNKNOWN
        out.append(FacetValue(value, count, filter_key(value) in selected_keys))
    shown = {filter_key(v.value) for v in out}
    for value in selected:  # a selected range, or a value with no results, stays visible, to be removed
        span = year_span(str(value)) if name == "year" else None
        if span:
            within = sum(count for raw, count in counted if raw and is_year(raw) and span[0] <= int(raw) <= span[1])
            out.append(FacetValue(span_text(span), within, True))
        elif filter_key(str(value)) not in shown:
            out.append(FacetValue(str(value), 0, True))
    if name == "year":
        # A selected range first, then years newest first, the unknown bucket last.
        out.sort(key=lambda v: (v.value == UNKNOWN, -int(v.value) if is_year(v.value) else -10_000))
    else:
        out.sort(key=lambda v: (v.value == UNKNOWN, -v.count, v.value))
    return out


def top_values(columns: Columns, name: str, live: np.ndarray) -> list[dict]:
    """The STATS_TOP known values of a facet with the most articles, most first."""
    counts = np.bincount(columns.codes[name][live], minlength=len(columns.values[name]))
    counts[0] = 0  # unknown
    codes = sorted(np.flatnonzero(counts), key=lambda code: (-counts[code], columns.values[name][code]))
    return [{"value": columns.values[name][code], "count": int(counts[code])} for code in codes[:STATS_TOP]]


def unknown_values(columns: Columns, filters: dict[str, list], parsed: ParsedQuery) -> list[str]:
    """A notice for each filter value (a parameter or typed in q) that no article has."""
    asked = [(name, str(v)) for name, values in filters.items() for v in values]
    asked += [(name, str(v)) for name, values in parsed.filters.items() for v in values]
    if parsed.year_range:
        asked.append(("year", "..".join(map(str, parsed.year_range))))
    notices = []
    for name, value in dict.fromkeys(asked):
        if not (facet_mask(columns, name, [value]) & columns.live).any():
            notices.append(f"Không có giá trị «{value}» cho bộ lọc {FACET_TITLES[name]}.")
    return notices


def combine(matched: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    out = matched.copy()
    for mask in masks:
        out &= mask
    return out


def year_span(value: str) -> tuple[int, int] | None:
    """ "2019..2021" → (2019, 2021), either way round; None for anything else."""
    match = re.fullmatch(r"\s*([0-9]{1,4})\s*\.\.\s*([0-9]{1,4})\s*", value)
    if not match:
        return None
    low, high = sorted((int(match.group(1)), int(match.group(2))))
    return low, high


def span_text(span: tuple[int, int]) -> str:
    return f"{span[0]}..{span[1]}"


def year_codes(columns: Columns, low: int, high: int) -> list[int]:
    return [code for code, v in enumerate(columns.values["year"]) if v and low <= int(v) <= high]


def is_year(value: str) -> bool:
    """ASCII digits only: "²".isdigit() is true, but int("²") fails."""
    return re.fullmatch(r"[0-9]{1,4}", value.strip()) is not None


def public_filters(filters: dict[str, list]) -> dict[str, list]:
    out = {}
    for name, values in filters.items():
        if values:
            out[name] = [public_value(name, str(v)) for v in values]
    return out


def public_value(name: str, value: str):
    """Years as integers, a year range as "2019..2021"; other values as given."""
    if name != "year":
        return value
    if is_year(value):
        return int(value)
    span = year_span(value)
    return span_text(span) if span else value


def query_filters(parsed: ParsedQuery) -> dict[str, list]:
    """The filters typed in q, in the JSON's form."""
    out = public_filters(parsed.filters)
    if parsed.year_range:
        out.setdefault("year", []).append(span_text(parsed.year_range))
    return out


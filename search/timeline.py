"""The timeline of a search (SPEC §5): its selected articles counted by day, month or year, each
period with its share of all the index's articles of that period. Undated articles are left out.

Per-document periods are computed once per index view (`Periods.of`), from the unique dates only;
a search's timeline is then a few bincounts over its selection.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

UNITS = ("day", "month", "year")
DAY_SPAN_DAYS = 92  # selected dates spanning at most this many days: counted by day
YEAR_SPAN_DAYS = 5479  # ~15 years (15 × 365.25 days): spanning more, counted by year
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class TimelineBucket:
    period: str  # "2020-05-31", "2020-05" or "2020"
    count: int  # selected articles of the period
    share: float  # count / all live articles of the period in the index
    start: str  # its first day, YYYY-MM-DD
    end: str  # its last day, YYYY-MM-DD

    def to_dict(self) -> dict:
        return {"period": self.period, "count": self.count, "share": self.share}


@dataclass
class Timeline:
    unit: str = "month"  # "day", "month" or "year"
    buckets: list[TimelineBucket] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(b.count for b in self.buckets)

    def to_dict(self) -> dict:
        return {"unit": self.unit, "buckets": [b.to_dict() for b in self.buckets]}


@dataclass
class Periods:
    """Per document: its day, month and year as integers (numpy datetime64 offsets), and
    whether it is dated; with each unit's live articles per period, for the shares."""

    dated: np.ndarray  # bool per docnum: live, with a valid date
    day: np.ndarray  # int64 per docnum: days since 1970-01-01 (0 when undated)
    index: dict[str, np.ndarray]  # unit -> int64 per docnum: the period's number
    first: dict[str, int]  # unit -> the smallest period number of any dated document
    all_counts: dict[str, np.ndarray]  # unit -> live dated articles per period (from `first`)

    @classmethod
    def from_dates(cls, dates: list[str], date_rank: np.ndarray, live: np.ndarray) -> "Periods":
        """`dates` the documents' datekeys ("" when undated) and `date_rank` each one's rank among
        the sorted unique datekeys (-1 when undated), as in searcher.Columns."""
        return cls.from_ranks(sorted({d for d in dates if d}), date_rank, live)

    @classmethod
    def from_ranks(cls, unique: list[str], date_rank: np.ndarray, live: np.ndarray) -> "Periods":
        """`unique` the sorted distinct datekeys, `date_rank` each document's place among them."""
        days = np.array([np.datetime64(d[:10], "D") if valid_day(d) else np.datetime64("NaT")
                         for d in unique], dtype="datetime64[D]")
        if not len(days):
            days = np.array([np.datetime64("NaT")], dtype="datetime64[D]")
        per_doc = days[np.maximum(date_rank, 0)]
        dated = live & (date_rank >= 0) & ~np.isnat(per_doc)
        per_doc = np.where(dated, per_doc, np.datetime64("1970-01-01", "D"))
        index = {
            "day": per_doc.astype(np.int64),
            "month": per_doc.astype("datetime64[M]").astype(np.int64),
            "year": per_doc.astype("datetime64[Y]").astype(np.int64),
        }
        first, all_counts = {}, {}
        for unit, numbers in index.items():
            chosen = numbers[dated]
            first[unit] = int(chosen.min()) if len(chosen) else 0
            all_counts[unit] = np.bincount(chosen - first[unit]) if len(chosen) else np.zeros(0, np.int64)
        return cls(dated, index["day"], index, first, all_counts)

    @classmethod
    def of(cls, columns) -> "Periods":
        """The periods of an index view's columns, computed on first use and kept with them."""
        periods = getattr(columns, "_timeline_periods", None)
        if periods is None:
            periods = cls.from_ranks(columns.date_values, columns.date_rank, columns.live)
            columns._timeline_periods = periods  # lives and dies with its index view
        return periods


def timeline_of(periods: Periods, selected: np.ndarray) -> Timeline:
    """The selected documents' timeline: every period from the first selected date to the last
    (empty periods included, count 0), in the unit their span calls for."""
    chosen = selected & periods.dated
    if not chosen.any():
        return Timeline()
    days = periods.day[chosen]
    unit = timeline_unit(int(days.max() - days.min()))
    numbers = periods.index[unit][chosen]
    low, high = int(numbers.min()), int(numbers.max())
    counts = np.bincount(numbers - low, minlength=high - low + 1)
    offset = low - periods.first[unit]
    everywhere = periods.all_counts[unit][offset:offset + len(counts)]
    buckets = []
    for i, (count, total) in enumerate(zip(counts.tolist(), everywhere.tolist())):
        start, end = _bounds(unit, low + i)
        buckets.append(TimelineBucket(_label(unit, start), count, round(count / total, 4) if total else 0.0,
                                      start, end))
    return Timeline(unit, buckets)


def timeline_unit(span_days: int) -> str:
    """By day for a span of about three months or less, by year beyond about fifteen years."""
    if span_days <= DAY_SPAN_DAYS:
        return "day"
    if span_days > YEAR_SPAN_DAYS:
        return "year"
    return "month"


def valid_day(value: str) -> bool:
    if not _ISO_DAY.match(value[:10]):
        return False
    try:
        np.datetime64(value[:10], "D")
    except ValueError:
        return False
    return True


def _bounds(unit: str, number: int) -> tuple[str, str]:
    """The first and last day (ISO) of period `number` of `unit`."""
    kind = {"day": "D", "month": "M", "year": "Y"}[unit]
    start = np.datetime64(number, kind)
    end = (start + 1).astype("datetime64[D]") - 1
    return str(start.astype("datetime64[D]")), str(end)


def _label(unit: str, start: str) -> str:
    return {"day": start, "month": start[:7], "year": start[:4]}[unit]


def timeline_of_days(selected: dict[int, int], everywhere: dict[int, int]) -> Timeline:
    """The same timeline from counts per day (days since 1970-01-01), as a cluster's
    date_histogram gives them: `selected` the selected articles', `everywhere` all of them."""
    if not selected:
        return Timeline()
    days = np.array(sorted(selected), dtype=np.int64)
    unit = timeline_unit(int(days.max() - days.min()))
    numbers = _period_numbers(days, unit)
    low, high = int(numbers.min()), int(numbers.max())
    counts = np.bincount(numbers - low, weights=[selected[d] for d in days.tolist()], minlength=high - low + 1)
    all_days = np.array(sorted(everywhere), dtype=np.int64)
    totals = np.zeros(high - low + 1)
    if len(all_days):
        all_numbers = _period_numbers(all_days, unit)
        inside = (all_numbers >= low) & (all_numbers <= high)
        np.add.at(totals, all_numbers[inside] - low, np.array([everywhere[d] for d in all_days.tolist()])[inside])
    buckets = []
    for i, (count, total) in enumerate(zip(counts.astype(np.int64).tolist(), totals.astype(np.int64).tolist())):
        start, end = _bounds(unit, low + i)
        buckets.append(TimelineBucket(_label(unit, start), count, round(count / total, 4) if total else 0.0,
                                      start, end))
    return Timeline(unit, buckets)


def _period_numbers(days: np.ndarray, unit: str) -> np.ndarray:
    as_days = days.astype("datetime64[D]")
    if unit == "day":
        return days
    return as_days.astype("datetime64[M]" if unit == "month" else "datetime64[Y]").astype(np.int64)

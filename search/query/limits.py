"""What one query may cost, so that one user cannot slow everyone (like Elasticsearch's
`max_clause_count` and search timeouts). The limits are written here once; requests.py,
web/openapi.py and the README read or cite them.

    bounded(parsed)   a parsed query cut to MAX_PHRASES phrases, MAX_ALTERNATIVES OR-ed
                      alternatives and MAX_TERMS terms, the first ones in typed order kept
    MAX_PREFIX_TERMS  syllables a prefix (thông*) expands to (parser.py), with prefix_notice beyond
    MAX_SLOP          the largest N of "a b"~N (parser.py), with slop_notice beyond
    Deadline          a search's time budget, checked by the engine between query nodes
    is_heavy(parsed)  a query costly even within the limits: the searcher evaluates at most
                      HEAVY_AT_ONCE of those at once, so light queries keep their share of the CPU
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

MAX_PHRASES = 16  # quoted phrases and known variants ("Sài Gòn") per query, excluded ones included
MAX_ALTERNATIVES = 32  # OR-ed alternatives per query (a variant's other spellings included)
MAX_TERMS = 64  # syllables, alternatives' syllables and restored spellings per query
MAX_PREFIX_TERMS = 50  # syllables a prefix (thông*) expands to: the most frequent ones in the index
MAX_SLOP = 100  # "a b"~N: a larger N is read as this one
TIME_BUDGET_SECONDS = 1.5  # per search: past it, the engine skips what is left to evaluate
HEAVY_PHRASES = 8  # a query with this many phrases, or with HEAVY_TERMS terms, is heavy
HEAVY_TERMS = 32
HEAVY_AT_ONCE = 1  # heavy queries evaluated at once per index; the others wait their turn
COURTESY_SECONDS = 0.01  # a heavy query waits up to this, between nodes, while light ones run


def complexity_notice(count: int, what: str) -> str:
    return (f"Câu truy vấn quá phức tạp: chỉ dùng {count} {what} đầu tiên; "
            "phần còn lại của câu truy vấn bị bỏ qua.")


def prefix_notice(prefix: str, count: int) -> str:
    return (f"Tiền tố «{prefix}*» khớp với hơn {count} từ; chỉ tìm {count} từ thường gặp nhất "
            "trong chỉ mục.")


def slop_notice(asked: int) -> str:
    return f"Khoảng cách ~{asked} quá lớn; đang dùng ~{MAX_SLOP}."


def budget_notice(seconds: float) -> str:
    shown = f"{seconds:g}".replace(".", ",")  # Vietnamese decimal comma: 1,5 giây
    return f"Tìm kiếm dừng sau {shown} giây; kết quả có thể chưa đầy đủ."


class Deadline:
    """A search's time budget. `clock` is injectable (a test passes one that says time is up);
    `cut` becomes True once the engine skipped something because the budget was spent."""

    def __init__(self, seconds: float = TIME_BUDGET_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self.at = clock() + seconds
        self.cut = False
        self.courtesy: Callable[[], None] | None = None  # a heavy query's: let light ones go first

    @property
    def past(self) -> bool:
        """Whether the budget is spent, without counting as a cut (for what is not a result)."""
        return self.clock() >= self.at

    def expired(self) -> bool:
        """True when the budget is spent: the caller then skips what it was about to evaluate."""
        if self.courtesy is not None:
            self.courtesy()
        if self.clock() >= self.at:
            self.cut = True
        return self.cut

    @property
    def notice(self) -> str | None:
        return budget_notice(self.seconds) if self.cut else None


def is_heavy(parsed) -> bool:
    """Whether a (bounded) parsed query costs many phrase evaluations: its phrases, variants and
    alternatives, or its terms (a long sentence ranks by every pair of adjacent syllables)."""
    units = [u for unit in [*parsed.units, *parsed.excluded] for u in [unit, *unit.alternatives]]
    phrases = sum(u.phrase for u in units)
    terms = sum(len(u.syllables) + len(u.restored) + len(u.expansions) for u in units)
    return phrases >= HEAVY_PHRASES or terms >= HEAVY_TERMS


def looks_heavy(text: str) -> bool:
    """Whether a query's text promises a heavy query, before it is parsed (parsing one costs too)."""
    return (text.count('"') >= 2 * HEAVY_PHRASES or text.count(" OR ") >= HEAVY_PHRASES
            or len(text.split()) >= HEAVY_TERMS)


@dataclass
class _Fitted:
    """A unit that fits, with its syllables cut to the room, and what of the rest found room."""

    unit: object
    excluded: bool
    alternatives: list = field(default_factory=list)
    restored: int = 0  # its first restored spellings kept

    def cut(self):
        unit = self.unit
        if len(self.alternatives) == len(unit.alternatives) and self.restored == len(unit.restored):
            return unit
        return replace(unit, alternatives=self.alternatives, restored=unit.restored[:self.restored])


def bounded(parsed):
    """(the parsed query within the limits, notices). The typed words come first: a unit is
    dropped only when its own syllables find no room (in typed order: searched units, then
    excluded ones). The room left goes to OR-ed alternatives in typed order, then to restored
    spellings one round at a time, every word's likeliest spelling before any word's second: a
    long question typed without marks keeps all its words and their likeliest spellings."""
    counts = {"phrases": 0, "alternatives": 0, "terms": 0}
    cut: set[str] = set()
    fitted: list[_Fitted] = []
    for excluded, unit in [*((False, u) for u in parsed.units), *((True, u) for u in parsed.excluded)]:
        if unit.phrase and counts["phrases"] >= MAX_PHRASES:
            cut.add("phrases")
            continue
        room = MAX_TERMS - counts["terms"]
        if room <= 0:
            cut.add("terms")
            continue
        if len(unit.syllables) > room:  # one long phrase: its first syllables
            cut.add("terms")
            unit = replace(unit, syllables=unit.syllables[:room])
        counts["phrases"] += unit.phrase
        counts["terms"] += len(unit.syllables)
        fitted.append(_Fitted(unit, excluded))
    for fit in fitted:
        for alternative in fit.unit.alternatives:
            if counts["alternatives"] >= MAX_ALTERNATIVES:
                cut.add("alternatives")
                break
            if alternative.phrase and counts["phrases"] >= MAX_PHRASES:
                cut.add("phrases")
                break
            if counts["terms"] + len(alternative.syllables) + len(alternative.restored) > MAX_TERMS:
                cut.add("terms")
                break
            counts["alternatives"] += 1
            counts["phrases"] += alternative.phrase
            counts["terms"] += len(alternative.syllables) + len(alternative.restored)
            fit.alternatives.append(alternative)
    spelling = 0
    while any(len(fit.unit.restored) > spelling for fit in fitted):
        for fit in fitted:
            if len(fit.unit.restored) > spelling:
                if counts["terms"] >= MAX_TERMS:
                    cut.add("terms")
                    break
                fit.restored += 1
                counts["terms"] += 1
        spelling += 1
    if not cut:
        return parsed, []
    units = [fit.cut() for fit in fitted if not fit.excluded]
    excluded = [fit.cut() for fit in fitted if fit.excluded]
    notices = [complexity_notice(limit, what) for name, limit, what in (
        ("phrases", MAX_PHRASES, "cụm từ"), ("alternatives", MAX_ALTERNATIVES, "lựa chọn OR"),
        ("terms", MAX_TERMS, "từ")) if name in cut]
    return replace(parsed, units=units, excluded=excluded), notices

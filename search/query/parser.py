"""The query language (README, "Query language") → a ParsedQuery of word units.

    words            up to 3 words (a compound counts as one): all must match, else any
    "exact phrase"   syllables in order (accent-insensitive, exact accents rank higher)
    "a b"~N          the syllables in any order, at most N other syllables among them
    thông*           any syllable of the index's vocabulary beginning so (marks as typed)
    -word, -"…"      excluded
    a OR b           either
    title:word       in the title only
    province:X, province_2025:X, category:X, source:X, year:2020, year:2019..2021   filters

Any string is valid: what does not parse as an operator is searched as plain words.
Whoosh's QueryParser is not used: it splits on spaces before analysis, which breaks
multi-syllable Vietnamese words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from functools import lru_cache
from importlib import resources

from ..analysis import syllables, word_groups
from ..articles import FACET_FIELDS
from ..synonyms import find_variants
from ..vocabulary import Vocabulary
from ..text import fold_accents, has_accents, normalize, to_nfkc
from .limits import MAX_PREFIX_TERMS, MAX_SLOP, bounded, prefix_notice, slop_notice

ALL_WORDS_LIMIT = 3  # up to this many words: every word must match
# …or up to this many syllables: the index's vocabulary knows some names and terms ("miền Trung",
# "bão lũ") only as syllables, yet such a query is still a few words, not a sentence.
ALL_SYLLABLES_LIMIT = 4

TEXT_FIELDS = ("title", "text")
FILTER_FIELDS = FACET_FIELDS
_FIELD_NAMES = "|".join(("title",) + FILTER_FIELDS)
QUERY_TOKENS = re.compile(
    rf"""(?P<neg>-)?(?:(?P<field>{_FIELD_NAMES}):(?:"(?P<fphrase>[^"]*)"(?:~(?P<fslop>\d+))?|(?P<fvalue>[^\s"]+))
        |"(?P<phrase>[^"]*)"(?:~(?P<slop>\d+))?
        |(?P<or>\bOR\b)
        |(?P<word>[^\s"]+))""",
    re.VERBOSE,
)
_YEAR_RANGE = re.compile(r"^(\d{1,4})\.\.(\d{1,4})$")
_PREFIX = re.compile(r"^([^\W_]+)\*+$")  # one syllable, then * (thông*, thông**)


@dataclass
class Unit:
    """One thing the query asks for: a word (maybe a compound) or a quoted phrase."""

    syllables: list[str]  # normalised (lower case, one tone convention)
    phrase: bool = False
    field: str | None = None  # "title" or None for title and text
    alternatives: list["Unit"] = dataclass_field(default_factory=list)  # OR-ed with this one
    # For an accentless word: the index's accented spellings of it, with their shares.
    restored: list[tuple[tuple[str, ...], float]] = dataclass_field(default_factory=list)
    restoring: bool = False  # from an accentless query: spellings come from the index
    slop: int | None = None  # a proximity phrase ("a b"~N): its syllables in any order, N apart
    prefix: bool = False  # thông*: `syllables` is the typed prefix, `expansions` what it stands for
    expansions: list[str] = dataclass_field(default_factory=list)  # the index's syllables it begins

    @property
    def accented(self) -> bool:
        return any(has_accents(s) for s in self.syllables)


@dataclass
class ParsedQuery:
    text: str
    units: list[Unit] = dataclass_field(default_factory=list)
    excluded: list[Unit] = dataclass_field(default_factory=list)
    filters: dict[str, list[str]] = dataclass_field(default_factory=dict)  # from province:…, year:…
    year_range: tuple[int, int] | None = None
    sentence: bool = False  # too many words to require them all: any word matches
    notices: list[str] = dataclass_field(default_factory=list)  # what was cut to the limits (limits.py)

    @property
    def is_empty(self) -> bool:
        return not self.units and not self.excluded

    def match_forms(self) -> set[tuple[str, ...]]:
        """Syllable sequences to highlight, one per queried word or phrase, as typed: a syllable
        with marks marks only that form, one without marks every form (highlight.matched_spans)."""
        forms = set()
        for unit in self.units:
            for u in [unit, *unit.alternatives]:
                if u.prefix:
                    forms |= {(x,) for x in u.expansions}
                elif u.slop is not None:
                    forms |= {(x,) for x in u.syllables}
                elif u.syllables:
                    forms.add(tuple(u.syllables))
        return forms


def words_of(text: str, field_name: str | None = None, vocabulary: Vocabulary | None = None,
             in_context: bool = False) -> list[Unit]:
    """Plain text → word units: known abbreviations and variants expanded, compounds kept whole.
    Compounds are those of the index's vocabulary, found on the folded syllables, so that the
    split depends neither on the marks typed nor on the order of the words; `in_context` (a
    sentence, where matching is by any word and the split only ranks) asks pyvi instead, which
    segments a sentence by its context. Without a vocabulary, pyvi too."""
    sylls = syllables(text, segment_words=False)
    normalized = [normalize(s.text) for s in sylls]
    units: list[Unit] = []
    cursor = 0
    for start, end, group in find_variants(normalized):
        units += _plain_units(text, sylls[cursor:start], normalized[cursor:start], field_name, vocabulary, in_context)
        matched = tuple(fold_accents(s) for s in normalized[start:end])
        alternatives = [Unit(list(v), phrase=True, field=field_name)
                        for v in group if tuple(fold_accents(s) for s in v) != matched]
        units.append(Unit(normalized[start:end], phrase=True, field=field_name, alternatives=alternatives))
        cursor = end
    units += _plain_units(text, sylls[cursor:], normalized[cursor:], field_name, vocabulary, in_context)
    return units


def _plain_units(text: str, sylls: list, normalized: list[str], field_name: str | None,
                 vocabulary: Vocabulary | None, in_context: bool) -> list[Unit]:
    if not sylls:
        return []
    accentless = not any(has_accents(s) for s in normalized)
    if vocabulary is not None and (accentless or not in_context):
        folded = [fold_accents(s) for s in normalized]
        return [Unit(normalized[a:b], field=field_name, restoring=accentless,
                     restored=vocabulary.restorations(tuple(folded[a:b])) if accentless else [])
                for a, b in vocabulary.segment_folded(folded)]
    span = text[sylls[0].start:sylls[-1].end]
    return [Unit([normalize(s.text) for s in group], field=field_name) for group in word_groups(syllables(span))]


@lru_cache(maxsize=1)
def question_words() -> frozenset[tuple[str, ...]]:
    text = resources.files("search").joinpath("data/question_words.txt").read_text(encoding="utf-8")
    return frozenset(tuple(normalize(s) for s in line.split())
                     for line in text.splitlines() if line.strip() and not line.startswith("#"))


def question_share(unit: Unit) -> float:
    """How surely a plain word is a question word: 1 or 0 as typed with accents; for an
    accentless word, the share of the index's spellings of it that are question words
    ("nao" is "nào" far more often than "não", "dau" mostly "đầu")."""
    if unit.phrase or unit.alternatives or unit.prefix:
        return 0.0
    if unit.restoring:
        return sum(share for spelling, share in unit.restored if spelling in question_words())
    return 1.0 if tuple(unit.syllables) in question_words() else 0.0


def phrase_of(text: str, field_name: str | None = None) -> Unit | None:
    sylls = [normalize(s.text) for s in syllables(text, segment_words=False)]
    return Unit(sylls, phrase=True, field=field_name) if sylls else None


def parse(text: str, vocabulary: Vocabulary | None = None, ignore_accents: bool = False,
          prefixes: Vocabulary | None = None) -> ParsedQuery:
    """The query language → a ParsedQuery. With `ignore_accents`, as if typed without marks.
    Prefixes (thông*) expand from `prefixes` (by default the `vocabulary`)."""
    text = to_nfkc(text)
    if ignore_accents:
        text = fold_accents(text)
    prefixes = vocabulary if prefixes is None else prefixes
    parsed = _parse(text, vocabulary, in_context=False, prefixes=prefixes)
    if len(parsed.units) > ALL_WORDS_LIMIT and sum(len(u.syllables) for u in parsed.units) > ALL_SYLLABLES_LIMIT:
        if has_accents(text):  # its words rank better as pyvi reads them in context
            parsed = _parse(text, vocabulary, in_context=True, prefixes=prefixes)
        parsed.sentence = True
    read_notices = parsed.notices
    parsed, notices = bounded(parsed)
    parsed.notices = read_notices + notices
    return parsed


def _parse(text: str, vocabulary: Vocabulary | None, in_context: bool,
           prefixes: Vocabulary | None = None) -> ParsedQuery:
    parsed = ParsedQuery(text=text)
    sequence: list[Unit | str] = []  # units and "OR" markers, in order
    pending_words: list[str] = []

    def flush_words():
        if pending_words:
            sequence.extend(words_of(" ".join(pending_words), vocabulary=vocabulary, in_context=in_context))
            pending_words.clear()

    for match in QUERY_TOKENS.finditer(text):
        negated = bool(match.group("neg"))
        name = match.group("field")
        if match.group("word") is not None and not negated:
            prefix = _prefix_unit(match.group("word"), None, prefixes, parsed.notices)
            if prefix is None:
                pending_words.append(match.group("word"))
                continue
            flush_words()
            sequence.append(prefix)
            continue
        flush_words()
        if match.group("or"):
            sequence.append("OR")
        elif name and name != "title":
            value = match.group("fphrase") if match.group("fphrase") is not None else match.group("fvalue")
            _add_filter(parsed, name, value.strip(), sequence)
        else:
            raw = match.group("fphrase") if name else match.group("phrase")
            if raw is None:
                raw = match.group("fvalue") if name else match.group("word")
            quoted = match.group("phrase") is not None or match.group("fphrase") is not None
            slop = match.group("fslop") if name else match.group("slop")
            unit = (phrase_of(raw, name) if quoted else
                    _prefix_unit(raw, name, prefixes, parsed.notices) or _single_unit(raw, name, vocabulary))
            if unit is None:
                continue
            if slop is not None and len(unit.syllables) > 1:
                unit.slop = min(int(slop), MAX_SLOP)
                if int(slop) > MAX_SLOP:
                    parsed.notices.append(slop_notice(int(slop)))
            (parsed.excluded if negated else sequence).append(unit)
    flush_words()
    parsed.units = _distinct(_apply_or(sequence))
    return parsed


def _prefix_unit(raw: str, field_name: str | None, prefixes: Vocabulary | None,
                 notices: list[str]) -> Unit | None:
    """thông* → a unit standing for the index's syllables that begin with "thông" (marks as typed:
    with marks, exactly those letters; without, any form), the most frequent MAX_PREFIX_TERMS
    of them, with a notice when there are more. None when `raw` is not a syllable then `*`."""
    found = _PREFIX.match(raw)
    if not found:
        return None
    stem = normalize(found.group(1))
    expansions, total = prefixes.with_prefix(stem, MAX_PREFIX_TERMS) if prefixes is not None else ([], 0)
    if total > len(expansions):
        notices.append(prefix_notice(found.group(1), len(expansions)))
    return Unit([stem], field=field_name, prefix=True, expansions=expansions)


def _distinct(units: list[Unit]) -> list[Unit]:
    """A word asked twice counts once ("tôn giáo … tôn giáo")."""
    seen, out = set(), []
    for unit in units:
        key = repr(unit)
        if key not in seen:
            seen.add(key)
            out.append(unit)
    return out


def _single_unit(raw: str, field_name: str | None, vocabulary: Vocabulary | None) -> Unit | None:
    units = words_of(raw, field_name, vocabulary)
    if len(units) == 1:
        return units[0]
    return phrase_of(raw, field_name)


def _add_filter(parsed: ParsedQuery, name: str, value: str, sequence: list) -> None:
    if not value:
        return
    if name == "year":
        span = _YEAR_RANGE.match(value)
        if span:
            low, high = sorted((int(span.group(1)), int(span.group(2))))
            parsed.year_range = (low, high)
            return
    parsed.filters.setdefault(name, []).append(value)


def _apply_or(sequence: list[Unit | str]) -> list[Unit]:
    units: list[Unit] = []
    join_next = False
    for item in sequence:
        if item == "OR":
            join_next = bool(units)
            continue
        if join_next:
            units[-1].alternatives.append(item)
            join_next = False
        else:
            units.append(item)
    return units

"""The query language (SPEC §5) → our own query tree → Whoosh queries.

    words            up to 3 words (a compound counts as one): all must match, else any
    "exact phrase"   syllables in order (accent-insensitive, exact accents rank higher)
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

from whoosh import query as wq

from .analysis import WORD_JOINER, WORD_PREFIX, exact_term, folded_term, syllables, word_groups
from .articles import FACET_FIELDS
from .ranking import Adjacent
from .synonyms import find_variants
from .vocabulary import Vocabulary
from .text import fold_accents, has_accents, normalize, to_nfkc

# How much each kind of evidence weighs: exact accents and whole compounds above folded syllables.
W_WORD = 0.1  # bonuses: the syllables of a compound or phrase already score one by one
W_PHRASE = 0.1
W_EXACT = 1.5
W_FOLDED = 0.6
W_FOLDED_ACCENTLESS = 1.3  # typed without marks: the folded match is the one sure evidence
W_TITLE = 2.0
# Spellings restored from the index's vocabulary for accentless words, times their share.
W_RESTORED = 0.8
W_WORD_RESTORED = 1.2
# Wording: each pair of adjacent query syllables found adjacent in an article (folded, also
# across words), scored by the pair's own idf (ranking.Adjacent). More for an accentless
# query, where adjacency is what tells "thu tuong" = "thủ tướng" from "thú", "tường".
W_PAIR = 1.0
W_PAIR_ACCENTLESS = 1.2
# Question words ("gì", "bao nhiêu", "ở đâu": data/question_words.txt) in a query with other words:
# they ask for an answer rather than name a topic, and are rare in answers, so high idf would rank
# any article that happens to say "bao nhiêu" above the one about the question's subject.
W_QUESTION = 0.3
ALL_WORDS_LIMIT = 3  # up to this many words: every word must match
# …or up to this many syllables: the index's vocabulary knows some names and terms ("miền Trung",
# "bão lũ") only as syllables, yet such a query is still a few words, not a sentence.
ALL_SYLLABLES_LIMIT = 4

TEXT_FIELDS = ("title", "text")
FILTER_FIELDS = FACET_FIELDS
_FIELD_NAMES = "|".join(("title",) + FILTER_FIELDS)
QUERY_TOKENS = re.compile(
    rf"""(?P<neg>-)?(?:(?P<field>{_FIELD_NAMES}):(?:"(?P<fphrase>[^"]*)"|(?P<fvalue>[^\s"]+))
        |"(?P<phrase>[^"]*)"
        |(?P<or>\bOR\b)
        |(?P<word>[^\s"]+))""",
    re.VERBOSE,
)
_YEAR_RANGE = re.compile(r"^(\d{1,4})\.\.(\d{1,4})$")


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

    @property
    def is_empty(self) -> bool:
        return not self.units and not self.excluded

    def match_forms(self) -> set[tuple[str, ...]]:
        """Syllable sequences to highlight, one per queried word or phrase, as typed: a syllable
        with marks marks only that form, one without marks every form (highlight.matched_spans)."""
        return {tuple(u.syllables) for unit in self.units for u in [unit, *unit.alternatives] if u.syllables}


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
    if unit.phrase or unit.alternatives:
        return 0.0
    if unit.restoring:
        return sum(share for spelling, share in unit.restored if spelling in question_words())
    return 1.0 if tuple(unit.syllables) in question_words() else 0.0


def phrase_of(text: str, field_name: str | None = None) -> Unit | None:
    sylls = [normalize(s.text) for s in syllables(text, segment_words=False)]
    return Unit(sylls, phrase=True, field=field_name) if sylls else None


def parse(text: str, vocabulary: Vocabulary | None = None, ignore_accents: bool = False) -> ParsedQuery:
    """The query language → a ParsedQuery. With `ignore_accents`, as if typed without marks."""
    text = to_nfkc(text)
    if ignore_accents:
        text = fold_accents(text)
    parsed = _parse(text, vocabulary, in_context=False)
    if len(parsed.units) > ALL_WORDS_LIMIT and sum(len(u.syllables) for u in parsed.units) > ALL_SYLLABLES_LIMIT:
        if has_accents(text):  # its words rank better as pyvi reads them in context
            parsed = _parse(text, vocabulary, in_context=True)
        parsed.sentence = True
    return parsed


def _parse(text: str, vocabulary: Vocabulary | None, in_context: bool) -> ParsedQuery:
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
            pending_words.append(match.group("word"))
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
            unit = phrase_of(raw, name) if quoted else _single_unit(raw, name, vocabulary)
            if unit is None:
                continue
            (parsed.excluded if negated else sequence).append(unit)
    flush_words()
    parsed.units = _distinct(_apply_or(sequence))
    return parsed


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


def typed_term(syllable: str) -> str:
    """The index term a typed syllable selects: typed with marks, exactly that syllable; typed
    without, any of its accented forms (its folded term)."""
    return exact_term(syllable) if has_accents(syllable) else folded_term(syllable)


def _required(unit: Unit, name: str) -> wq.Query:
    """What a unit must match in all-words mode: its syllables as typed, side by side, in order."""
    terms = [typed_term(x) for x in unit.syllables]
    return wq.Term(name, terms[0]) if len(terms) == 1 else wq.Phrase(name, terms)


def _any_syllable(unit: Unit, name: str) -> wq.Query:
    """What a unit matches in any-words mode: any of its syllables as typed (as BM25 over syllables)."""
    return wq.Or([wq.Term(name, typed_term(x)) for x in unit.syllables])


def _score(unit: Unit, name: str) -> wq.Query:
    """Every kind of evidence for ranking: each syllable folded and exact, the whole phrase
    and compound as a bonus, and an accentless word's spellings restored from the index.
    A quoted phrase or a known variant ("Sài Gòn") scores as a whole only."""
    if unit.phrase and len(unit.syllables) > 1:
        folded_weight = (W_FOLDED_ACCENTLESS if unit.restoring else
                         W_FOLDED if unit.accented else W_FOLDED + W_EXACT)
        parts: list[wq.Query] = [wq.Phrase(name, [folded_term(x) for x in unit.syllables], boost=folded_weight)]
        if unit.accented:
            parts.append(wq.Phrase(name, [exact_term(x) for x in unit.syllables], boost=W_EXACT))
        return wq.Or(parts)
    parts = []
    for syllable in unit.syllables:
        folded = folded_term(syllable)
        if has_accents(syllable):
            parts += [wq.Term(name, folded, boost=W_FOLDED), wq.Term(name, syllable, boost=W_EXACT)]
        elif unit.restoring:  # accentless query: exact evidence comes from the restored spellings
            parts.append(wq.Term(name, folded, boost=W_FOLDED_ACCENTLESS))
        else:  # typed without marks in an accented query: meant without marks ("ai", "covid")
            parts += [wq.Term(name, folded, boost=W_FOLDED), wq.Term(name, syllable, boost=W_EXACT)]
    if len(unit.syllables) > 1:
        parts.append(wq.Phrase(name, [exact_term(x) for x in unit.syllables], boost=W_PHRASE))
        if unit.accented:
            parts.append(wq.Term(name, WORD_PREFIX + WORD_JOINER.join(unit.syllables), boost=W_WORD))
    for spelling, share in unit.restored:
        if len(spelling) == 1:
            parts.append(wq.Term(name, exact_term(spelling[0]), boost=W_RESTORED * share))
        else:
            parts.append(wq.Term(name, WORD_PREFIX + WORD_JOINER.join(spelling), boost=W_WORD_RESTORED * share))
    return wq.Or(parts)


def _in_fields(unit: Unit, make) -> wq.Query:
    options = []
    for u in [unit, *unit.alternatives]:
        if u.field == "title":
            options.append(make(u, "title"))
        else:
            options.append(wq.Or([make(u, "title").with_boost(W_TITLE), make(u, "text")]))
    if len(options) == 1:
        return options[0]
    return wq.DisjunctionMax(options)  # variants of one word ("TP.HCM", "Sài Gòn") count once


def unit_query(unit: Unit, mode: str = "all", scoring: bool = True) -> wq.Query:
    """One unit. Matching: in all-words mode (and for a quoted phrase) its folded syllables in
    order, in any-words mode any of its syllables. Scoring: every kind of evidence."""
    if scoring:
        return _in_fields(unit, _score)
    return _in_fields(unit, _required if unit.phrase or mode == "all" else _any_syllable)


def _pairs(parsed: ParsedQuery) -> list[wq.Query]:
    """Wording evidence: each pair of adjacent query syllables (also across words), folded (pairs
    as typed ranked questions worse: zalo 0.683 → 0.678; the typed sequence as a whole ranks
    first anyway, see sequence_queries). Quoted phrases, variants, OR-ed and title: words break
    the chain: they score on their own."""
    chain: list[tuple[str, bool] | None] = []
    for u in parsed.units:
        plain = not u.phrase and u.field is None and not u.alternatives
        chain += [(folded_term(x), u.restoring) for x in u.syllables] if plain else [None]
    weights: dict[tuple[str, str], float] = {}
    for first, second in zip(chain, chain[1:]):
        if first is not None and second is not None and first[0] != second[0]:
            accentless = first[1] and second[1]
            weights.setdefault((first[0], second[0]), W_PAIR_ACCENTLESS if accentless else W_PAIR)
    return [wq.Or([Adjacent("title", list(pair), boost=weight * W_TITLE), Adjacent("text", list(pair), boost=weight)])
            for pair, weight in weights.items() if weight]


def matching_mode(parsed: ParsedQuery) -> str:
    return "any" if parsed.sentence else "all"


def sequence_queries(parsed: ParsedQuery) -> tuple[wq.Query, wq.Query] | None:
    """(in the title, in the text): every typed syllable side by side in the typed order, as
    typed; articles holding it rank first (a name, a term). None for a sentence, a single
    syllable, or a query with quoted phrases, variants, OR or fields (they rank on their own)."""
    if parsed.sentence or any(u.phrase or u.field or u.alternatives for u in parsed.units):
        return None
    terms = [typed_term(x) for u in parsed.units for x in u.syllables]
    if len(terms) < 2:
        return None
    return wq.Phrase("title", terms), wq.Phrase("text", terms)


def whoosh_query(parsed: ParsedQuery, mode: str, scoring: bool = True) -> wq.Query:
    """Without `scoring`: the query that selects the matching documents (filters are applied
    separately). With it: the query that ranks them; it is run only over the selected
    documents, so it need not repeat what the selection requires."""
    if scoring:
        shares = [question_share(u) for u in parsed.units]
        weigh_questions = any(share < 1.0 for share in shares)  # "ai" alone is a word to find
        clauses = []
        for unit, share in zip(parsed.units, shares):
            clause = unit_query(unit, mode)
            if weigh_questions and share:
                clause = wq.Or([clause], boost=1.0 - (1.0 - W_QUESTION) * share)
            clauses.append(clause)
        clauses += _pairs(parsed)
        return wq.Or(clauses) if clauses else wq.Every()
    clauses = [unit_query(u, mode, scoring=False) for u in parsed.units]
    if not clauses:
        base: wq.Query = wq.Every()
    elif len(clauses) == 1:
        base = clauses[0]
    else:
        base = wq.And(clauses) if mode == "all" else wq.Or(clauses)
    if parsed.excluded:
        return wq.And([base] + [wq.Not(unit_query(u, "all", scoring=False)) for u in parsed.excluded])
    return base

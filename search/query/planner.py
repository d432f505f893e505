"""A parsed query → the trees the engine evaluates: a matching tree (which documents are
selected; filters are applied apart) and a ranking tree (how the selected ones score, run only
over them, so it need not repeat what the selection requires)."""
from __future__ import annotations

from ..analysis import WORD_JOINER, WORD_PREFIX, exact_term, folded_term
from ..text import has_accents
from typing import Iterator

from ..vocabulary import Vocabulary
from .parser import ParsedQuery, Unit, parse, question_share
from .tree import Adjacent, All, And, DisjunctionMax, Near, Node, Not, Or, Phrase, Term
from .weights import DEFAULT_WEIGHTS, Weights


def typed_term(syllable: str) -> str:
    """The index term a typed syllable selects: typed with marks, exactly that syllable; typed
    without, any of its accented forms (its folded term)."""
    return exact_term(syllable) if has_accents(syllable) else folded_term(syllable)


def matching_mode(parsed: ParsedQuery) -> str:
    return "any" if parsed.sentence else "all"


def _required(unit: Unit, name: str, weights: Weights) -> Node:
    """What a unit must match in all-words mode: its syllables as typed, side by side, in order
    (a proximity phrase: near each other, in any order; a prefix: any syllable it stands for)."""
    if unit.prefix:
        return _expanded(unit, name)
    terms = [typed_term(x) for x in unit.syllables]
    if len(terms) == 1:
        return Term(name, terms[0])
    return Near(name, tuple(terms), unit.slop) if unit.slop is not None else Phrase(name, tuple(terms))


def _any_syllable(unit: Unit, name: str, weights: Weights) -> Node:
    """What a unit matches in any-words mode: any of its syllables as typed (as BM25 over syllables)."""
    if unit.prefix:
        return _expanded(unit, name)
    return Or(tuple(Term(name, typed_term(x)) for x in unit.syllables))


def _expanded(unit: Unit, name: str, boost: float = 1.0) -> Node:
    """A prefix: any of the syllables it expanded to, as typed (exact with marks, else folded);
    none, nothing (an Or without children)."""
    return Or(tuple(Term(name, typed_term(x)) for x in unit.expansions), boost=boost)


def _score(unit: Unit, name: str, w: Weights) -> Node:
    """Every kind of evidence for ranking: each syllable folded and exact, the whole phrase
    and compound as a bonus, and an accentless word's spellings restored from the index.
    A quoted phrase or a known variant ("Sài Gòn") scores as a whole only; a prefix as the
    syllables it stands for; a proximity phrase as its syllables, found near each other."""
    if unit.prefix:
        return _expanded(unit, name, boost=w.folded + w.exact)
    if unit.slop is not None:
        parts = [Term(name, typed_term(x), boost=w.folded + w.exact) for x in dict.fromkeys(unit.syllables)]
        return Or((*parts, Near(name, tuple(typed_term(x) for x in unit.syllables), unit.slop, boost=w.phrase)))
    if unit.phrase and len(unit.syllables) > 1:
        folded_weight = (w.folded_accentless if unit.restoring else
                         w.folded if unit.accented else w.folded + w.exact)
        parts: list[Node] = [Phrase(name, tuple(folded_term(x) for x in unit.syllables), boost=folded_weight)]
        if unit.accented:
            parts.append(Phrase(name, tuple(exact_term(x) for x in unit.syllables), boost=w.exact))
        return Or(tuple(parts))
    parts = []
    for syllable in unit.syllables:
        folded = folded_term(syllable)
        if has_accents(syllable):
            parts += [Term(name, folded, boost=w.folded), Term(name, syllable, boost=w.exact)]
        elif unit.restoring:  # accentless query: exact evidence comes from the restored spellings
            parts.append(Term(name, folded, boost=w.folded_accentless))
        else:  # typed without marks in an accented query: meant without marks ("ai", "covid")
            parts += [Term(name, folded, boost=w.folded), Term(name, syllable, boost=w.exact)]
    if len(unit.syllables) > 1:
        parts.append(Phrase(name, tuple(exact_term(x) for x in unit.syllables), boost=w.phrase))
        if unit.accented:
            parts.append(Term(name, WORD_PREFIX + WORD_JOINER.join(unit.syllables), boost=w.word))
    for spelling, share in unit.restored:
        if len(spelling) == 1:
            parts.append(Term(name, exact_term(spelling[0]), boost=w.restored * share))
        else:
            parts.append(Term(name, WORD_PREFIX + WORD_JOINER.join(spelling), boost=w.word_restored * share))
    return Or(tuple(parts))


def _in_fields(unit: Unit, make, weights: Weights) -> Node:
    options = []
    for u in [unit, *unit.alternatives]:
        if u.field == "title":
            options.append(make(u, "title", weights))
        else:
            options.append(Or((make(u, "title", weights).with_boost(weights.title), make(u, "text", weights))))
    if len(options) == 1:
        return options[0]
    return DisjunctionMax(tuple(options))  # variants of one word ("TP.HCM", "Sài Gòn") count once


def unit_query(unit: Unit, mode: str = "all", scoring: bool = True, weights: Weights = DEFAULT_WEIGHTS) -> Node:
    """One unit. Matching: in all-words mode (and for a quoted phrase) its folded syllables in
    order, in any-words mode any of its syllables. Scoring: every kind of evidence."""
    if scoring:
        return _in_fields(unit, _score, weights)
    return _in_fields(unit, _required if unit.phrase or mode == "all" else _any_syllable, weights)


def _pairs(parsed: ParsedQuery, w: Weights) -> list[Node]:
    """Wording evidence: each pair of adjacent query syllables (also across words), folded (pairs
    as typed ranked questions worse: zalo 0.683 → 0.678; the typed sequence as a whole ranks
    first anyway, see sequence_queries). Quoted phrases, variants, OR-ed and title: words break
    the chain: they score on their own."""
    chain: list[tuple[str, bool] | None] = []
    for u in parsed.units:
        plain = not u.phrase and u.field is None and not u.alternatives and not u.prefix
        chain += [(folded_term(x), u.restoring) for x in u.syllables] if plain else [None]
    pair_weights: dict[tuple[str, str], float] = {}
    for first, second in zip(chain, chain[1:]):
        if first is not None and second is not None and first[0] != second[0]:
            accentless = first[1] and second[1]
            pair_weights.setdefault((first[0], second[0]), w.pair_accentless if accentless else w.pair)
    return [Or((Adjacent("title", pair, boost=weight * w.title), Adjacent("text", pair, boost=weight)))
            for pair, weight in pair_weights.items() if weight]


def sequence_queries(parsed: ParsedQuery) -> tuple[Node, Node] | None:
    """(in the title, in the text): every typed syllable side by side in the typed order, as
    typed; articles holding it rank first (a name, a term). None for a sentence, a single
    syllable, or a query with quoted phrases, variants, OR, fields or prefixes (they rank on their own)."""
    if parsed.sentence or any(u.phrase or u.field or u.alternatives or u.prefix for u in parsed.units):
        return None
    terms = tuple(typed_term(x) for u in parsed.units for x in u.syllables)
    if len(terms) < 2:
        return None
    return Phrase("title", terms), Phrase("text", terms)


def ranking_tree(parsed: ParsedQuery, mode: str, weights: Weights = DEFAULT_WEIGHTS) -> Node:
    """How the selected documents score."""
    shares = [question_share(u) for u in parsed.units]
    weigh_questions = any(share < 1.0 for share in shares)  # "ai" alone is a word to find
    clauses: list[Node] = []
    for unit, share in zip(parsed.units, shares):
        clause = unit_query(unit, mode, weights=weights)
        if weigh_questions and share:
            clause = Or((clause,), boost=1.0 - (1.0 - weights.question) * share)
        clauses.append(clause)
    clauses += _pairs(parsed, weights)
    return Or(tuple(clauses)) if clauses else All()


def matching_tree(parsed: ParsedQuery, mode: str) -> Node:
    """Which documents are selected (filters aside)."""
    clauses = [unit_query(u, mode, scoring=False) for u in parsed.units]
    if not clauses:
        base: Node = All()
    elif len(clauses) == 1:
        base = clauses[0]
    else:
        base = And(tuple(clauses)) if mode == "all" else Or(tuple(clauses))
    if parsed.excluded:
        return And((base, *(Not(unit_query(u, "all", scoring=False)) for u in parsed.excluded)))
    return base


def readings(parsed: ParsedQuery, vocabulary: Vocabulary | None, ignore: bool) -> Iterator[tuple[ParsedQuery, str]]:
    """The ways to read a query, in the order they are tried (each made only when needed): as
    typed, with marks ignored (when it has marks), then with any word for each. Both backends
    try them in this order and show the first that finds something."""
    tried = [parsed]
    yield parsed, matching_mode(parsed)
    if not ignore and any(u.accented for unit in parsed.units for u in [unit, *unit.alternatives]):
        folded = parse(parsed.text, vocabulary, ignore_accents=True)
        tried.append(folded)
        yield folded, matching_mode(folded)
    for reading in tried:
        if matching_mode(reading) == "all" and len(reading.units) > 1:
            yield reading, "any"

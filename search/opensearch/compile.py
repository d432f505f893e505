"""Our query tree (search/query/tree.py) and filters → OpenSearch's query DSL, as dicts.

    Term(f, t)         `term` on <f>_exact, <f>_folded ("f:" terms) or <f>_words ("w:" terms)
    Phrase(f, words)   matched by `match_phrase` (one kind of term) or `span_near` with
                       `span_field_masking` (exact and folded syllables mixed: both fields hold
                       one token per syllable at the same positions); scored, as the engine
                       scores it, by the sum of its terms where it matches (bool filter + should)
    Near(f, words, n)  `span_near`, any order, slop n (folded words masked as <f>_exact), scored
                       like a phrase
    Adjacent(f, pair)  `term` on <f>_pairs: its BM25 with k1 = 0 is the pair's own idf
    Or / And           bool should (at least one) / must; Not → must_not
    DisjunctionMax     dis_max, tie_breaker 0
    All / Nothing      a filter-only bool (scores 0) / match_none

OpenSearch's BM25 (Lucene's LegacyBM25Similarity) keeps BM25's (k1 + 1) factor and uses
Robertson's idf, as the engine does: a term scores what it scores in the engine (but for
Lucene's one-byte field lengths). The pairs' BM25 has k1 = 0: its score is the idf. Facet filters are `terms` on the keyword fields of facets.filter_key values.
"""
from __future__ import annotations

from functools import singledispatch
from itertools import permutations

from .. import labels
from ..analysis import FOLDED_PREFIX, WORD_PREFIX
from ..articles import UNKNOWN
from ..facets import filter_key, year_span
from ..query.tree import Adjacent, All, And, DisjunctionMax, Near, Node, Not, Nothing, Or, Phrase, Term
from ..query.weights import DEFAULT_WEIGHTS, Weights
from ..text import fold_accents
from .mapping import PAIR_JOINER, field_name, key_field

MATCH_ALL_SCORING_NOTHING = {"bool": {"filter": [{"match_all": {}}]}}


def term_target(field: str, text: str) -> tuple[str, str]:
    """(OpenSearch field, token) of one of our index terms."""
    if text.startswith(FOLDED_PREFIX):
        return field_name(field, "folded"), text[len(FOLDED_PREFIX):]
    if text.startswith(WORD_PREFIX):
        return field_name(field, "words"), text[len(WORD_PREFIX):]
    return field_name(field, "exact"), text


def _boosted(query: dict, boost: float) -> dict:
    if boost != 1.0:
        (kind, body), = query.items()
        query = {kind: {**body, "boost": boost}}
    return query


def term_query(field: str, text: str, boost: float = 1.0) -> dict:
    name, token = term_target(field, text)
    body = {"value": token}
    if boost != 1.0:
        body["boost"] = boost
    return {"term": {name: body}}


def phrase_query(field: str, words: tuple[str, ...]) -> dict:
    """Where the words stand side by side in order (a folded word in any accented form)."""
    targets = [term_target(field, w) for w in words]
    if len({name for name, _ in targets}) == 1:
        return {"match_phrase": {targets[0][0]: {"query": " ".join(t for _, t in targets)}}}
    return near_query(field, words, 0, in_order=True)


MAX_ORDERS = 24  # a Near with a repeated word: its distinct orders, each an ordered span_near


def near_query(field: str, words: tuple[str, ...], slop: int, in_order: bool = False) -> dict:
    """A span_near of the words on <f>_exact (folded ones masked as it: same positions). Lucene's
    unordered spans may match one place twice: with a word asked twice, every distinct order of
    the words as an ordered span_near (each place once), OR-ed."""
    if not in_order and len(set(words)) < len(words):
        orders = sorted(set(permutations(words)))
        if len(orders) <= MAX_ORDERS:
            return {"span_or": {"clauses": [near_query(field, order, slop, True) for order in orders]}}
    exact = field_name(field, "exact")
    clauses = []
    for name, token in (term_target(field, w) for w in words):
        span = {"span_term": {name: token}}
        clauses.append(span if name == exact else {"span_field_masking": {"query": span, "field": exact}})
    return {"span_near": {"clauses": clauses, "slop": slop, "in_order": in_order}}


class Compiler:
    """Compiles trees (the weights are already in their boosts; k1 and b are the index's)."""

    def __init__(self, weights: Weights = DEFAULT_WEIGHTS):
        self.weights = weights

    def query(self, node: Node, scored: bool = True) -> dict:
        return _compile(node, self, scored)


@singledispatch
def _compile(node: Node, compiler: Compiler, scored: bool) -> dict:
    raise TypeError(f"unsupported query {node!r}")


@_compile.register
def _(node: Term, compiler: Compiler, scored: bool) -> dict:
    return term_query(node.field, node.text, node.boost if scored else 1.0)


@_compile.register
def _(node: Phrase, compiler: Compiler, scored: bool) -> dict:
    if len(node.words) == 1:
        return term_query(node.field, node.words[0], node.boost if scored else 1.0)
    phrase = phrase_query(node.field, node.words)
    if not scored:
        return phrase
    return _boosted({"bool": {"filter": [phrase], "should": [term_query(node.field, w) for w in node.words]}},
                    node.boost)


@_compile.register
def _(node: Near, compiler: Compiler, scored: bool) -> dict:
    if len(node.words) == 1:
        return term_query(node.field, node.words[0], node.boost if scored else 1.0)
    near = near_query(node.field, node.words, node.slop)
    if not scored:
        return near
    return _boosted({"bool": {"filter": [near], "should": [term_query(node.field, w) for w in node.words]}},
                    node.boost)


@_compile.register
def _(node: Adjacent, compiler: Compiler, scored: bool) -> dict:
    pair = PAIR_JOINER.join(fold_accents(w.removeprefix(FOLDED_PREFIX)) for w in node.words)
    body = {"value": pair}
    if scored and node.boost != 1.0:
        body["boost"] = node.boost
    return {"term": {field_name(node.field, "pairs"): body}}


@_compile.register
def _(node: Or, compiler: Compiler, scored: bool) -> dict:
    should = [_compile(c, compiler, scored) for c in node.children]
    if not should:
        return {"match_none": {}}
    if len(should) == 1 and (node.boost == 1.0 or not scored):
        return should[0]
    return _boosted({"bool": {"should": should, "minimum_should_match": 1}}, node.boost if scored else 1.0)


@_compile.register
def _(node: And, compiler: Compiler, scored: bool) -> dict:
    required = [_compile(c, compiler, scored) for c in node.children if not isinstance(c, Not)]
    excluded = [_compile(c.child, compiler, False) for c in node.children if isinstance(c, Not)]
    body: dict = {"must" if scored else "filter": required or [{"match_all": {}}]}
    if not required and scored:
        body = {"filter": [{"match_all": {}}]}
    if excluded:
        body["must_not"] = excluded
    return _boosted({"bool": body}, node.boost if scored else 1.0)


@_compile.register
def _(node: DisjunctionMax, compiler: Compiler, scored: bool) -> dict:
    queries = [_compile(c, compiler, scored) for c in node.children]
    return _boosted({"dis_max": {"queries": queries, "tie_breaker": 0.0}}, node.boost if scored else 1.0)


@_compile.register
def _(node: Not, compiler: Compiler, scored: bool) -> dict:
    return {"bool": {"filter": [{"match_all": {}}], "must_not": [_compile(node.child, compiler, False)]}}


@_compile.register
def _(node: All, compiler: Compiler, scored: bool) -> dict:
    return MATCH_ALL_SCORING_NOTHING


@_compile.register
def _(node: Nothing, compiler: Compiler, scored: bool) -> dict:
    return {"match_none": {}}


# ---- filters --------------------------------------------------------------------------

def facet_filter(name: str, values: list) -> dict:
    """One facet's selected values OR-ed, as facets.facet_mask selects them: by filter_key,
    "Không rõ" for the articles without a value, a year range for `year`."""
    keys, clauses = [], []
    for value in values:
        key = filter_key(labels.filter_value(name, str(value)))
        span = year_span(str(value)) if name == "year" else None
        if key == filter_key(UNKNOWN):
            clauses.append({"bool": {"must_not": [{"exists": {"field": key_field(name)}}]}})
        elif span:
            clauses.append(year_range(*span))
        else:
            keys.append(key)
    if keys:
        clauses.insert(0, {"terms": {key_field(name): sorted(set(keys))}})
    if not clauses:
        return {"match_none": {}}
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def year_range(low: int, high: int) -> dict:
    return {"range": {"year_number": {"gte": low, "lte": high}}}


def date_filter(date_from: str | None, date_to: str | None) -> dict | None:
    if not date_from and not date_to:
        return None
    bounds = {}
    if date_from:
        bounds["gte"] = date_from
    if date_to:
        bounds["lte"] = date_to
    return {"range": {"day": bounds}}


def all_of(queries: list[dict]) -> dict:
    """Every query (filter context); match_all when there is none."""
    return {"bool": {"filter": queries}} if queries else {"match_all": {}}

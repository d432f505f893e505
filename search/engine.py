"""Query execution on numpy arrays: the trees of search/query/tree.py, evaluated over whole
posting lists at once (store.reader.GenerationReader), a method per kind of node.

    Term     its posting list (document numbers and BM25F scores, cached per term)
    Adjacent the idf of the pair of terms, in the documents where they are adjacent
    Phrase   its terms' scores, in the documents where the folded syllables occur in order,
             found from the positions of each syllable's hash in the forward file (one
             32-bit hash per syllable, see store/forward.py and store/positions.py)
    Near     its terms' scores, in the documents where the folded syllables occur near each other,
             in any order (store/forward.py's `near`, from the same positions)
    Or/And   union/intersection of matches, sum of scores, times the query's boost
    DisjunctionMax   union of matches, the best child's score
    Not      the live documents the child does not match

Scores are BM25F's with Robertson's idf (ranking.py) and the weights' k1 and b, with each field's
exact syllable count (from the forward file) as its length; Whoosh keeps lengths in one lossy
byte, which cost relevance. A boost on an Or is applied (Whoosh's searcher lost it: titles
counted once, not twice).

A request may bring a Deadline (query/limits.py): once it is past, an Or or a DisjunctionMax
evaluates no further child (its first one always), so a search that spent its budget returns
what it has: fewer optional clauses matched, less ranking evidence. Every child of an And is
still evaluated and nothing under a Not is skipped, so every result still matches the query.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import singledispatchmethod

import numpy as np

from .query.limits import Deadline
from .query.tree import Adjacent, All, And, DisjunctionMax, Near, Node, Not, Nothing, Or, Phrase, Term
from .query.weights import DEFAULT_WEIGHTS, Weights
from .ranking import robertson_idf
from .store.forward import phrase_syllables
from .store.reader import GenerationReader

TEXT_FIELDS = ("title", "text")
# Postings kept decoded (8 bytes each: 190 MB at most). The perf query set's 250 queries read
# 22M postings at 107k articles; an LRU smaller than a repeated working set never hits.
CACHE_POSTINGS = 24_000_000


class Engine:
    """Evaluates queries against one reader; safe to share between threads."""

    def __init__(self, store: GenerationReader, weights: Weights = DEFAULT_WEIGHTS):
        self.store = store
        self.weights = weights
        self.size = store.size
        self.live = store.live
        self.forward = store.forward
        # Exact syllable counts from the forward file (Whoosh keeps one lossy byte per length).
        self._lengths = {"title": self.forward.title_lengths.astype(np.float64),
                         "text": self.forward.text_lengths.astype(np.float64)}
        self._avg = {f: float(v[self.live].mean()) if self.live.any() else 1.0 for f, v in self._lengths.items()}
        self._avg = {f: v or 1.0 for f, v in self._avg.items()}
        self._cache: OrderedDict = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()

    # ---- postings ---------------------------------------------------------------------

    def term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums as int32, BM25F scores as float32) of a term, ascending docnums; cached."""
        key = (field, text)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        found = self._read_term(field, text)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = found
                self._cached += len(found[0])
                while self._cached > CACHE_POSTINGS and len(self._cache) > 1:
                    _, (ids, _) = self._cache.popitem(last=False)
                    self._cached -= len(ids)
        return found

    def _read_term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        ids, tf = self.store.postings(field, text)
        if not len(ids):
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        idf = robertson_idf(self.store.doc_frequency(field, text), self.size)
        k1, b = self.weights.k1, self.weights.b
        lengths = self._lengths[field][ids]
        scores = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / self._avg[field])))
        return ids.astype(np.int32), scores.astype(np.float32)

    def bm25(self, field: str, docs: np.ndarray, tf: np.ndarray, df: int) -> np.ndarray:
        """BM25F scores of a term in `field` for documents `docs` holding it `tf` times, the term
        being in `df` documents: what `term` computes from a posting list, from counts found
        elsewhere (related.py counts from positions)."""
        idf = robertson_idf(df, self.size)
        k1, b = self.weights.k1, self.weights.b
        lengths = self._lengths[field][docs]
        return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / self._avg[field])))

    # ---- evaluation -------------------------------------------------------------------

    def matches(self, q: Node, memo: dict | None = None, deadline: Deadline | None = None) -> np.ndarray:
        """bool per docnum (deleted documents included: the caller masks them). Calls given the
        same `memo` (one request's) check each phrase's word order once. Past the `deadline`,
        optional clauses left are skipped (a subset of the matches)."""
        return self._eval(q, False, {} if memo is None else memo, deadline)[0]

    def scores(self, q: Node, memo: dict | None = None,
               deadline: Deadline | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(bool per docnum, score per docnum). Past the `deadline`, evidence left is skipped."""
        return self._eval(q, True, {} if memo is None else memo, deadline)

    def _eval(self, q: Node, scored: bool, memo: dict,
              deadline: Deadline | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        mask, scores = self._node(q, scored, memo, deadline)
        boost = getattr(q, "boost", 1.0)
        if scored and boost != 1.0:
            scores *= boost
        return mask, scores

    @singledispatchmethod
    def _node(self, q: Node, scored: bool, memo: dict, deadline: Deadline | None):
        raise TypeError(f"unsupported query {q!r}")

    @_node.register(Term)
    def _term_node(self, q: Term, scored: bool, memo: dict, deadline: Deadline | None):
        return self._term(q.field, q.text, scored)

    @_node.register(Adjacent)
    def _adjacent(self, q: Adjacent, scored: bool, memo: dict, deadline: Deadline | None):
        mask, _ = self._phrase(q.field, list(q.words), False, memo)
        return mask, (mask * robertson_idf(int(mask.sum()), self.size) if scored else None)

    @_node.register(Phrase)
    def _phrase_node(self, q: Phrase, scored: bool, memo: dict, deadline: Deadline | None):
        return self._phrase(q.field, list(q.words), scored, memo)

    @_node.register(Near)
    def _near_node(self, q: Near, scored: bool, memo: dict, deadline: Deadline | None):
        return self._near(q.field, list(q.words), q.slop, scored, memo)

    @_node.register(Or)
    @_node.register(And)
    def _boolean(self, q: Or | And, scored: bool, memo: dict, deadline: Deadline | None):
        if isinstance(q, And):  # every child is required: none may be skipped
            children = [self._eval(sub, scored, memo, deadline) for sub in q.children]
        else:
            children = self._optional(q.children, scored, memo, deadline)
        if not children:
            return self._nothing(scored)
        mask = children[0][0].copy()
        for m, _ in children[1:]:
            if isinstance(q, Or):
                mask |= m
            else:
                mask &= m
        scores = None
        if scored:
            scores = children[0][1].copy()
            for _, s in children[1:]:
                scores += s
            if isinstance(q, And):
                scores[~mask] = 0.0
        return mask, scores

    @_node.register(DisjunctionMax)
    def _best(self, q: DisjunctionMax, scored: bool, memo: dict, deadline: Deadline | None):
        children = self._optional(q.children, scored, memo, deadline)
        if not children:
            return self._nothing(scored)
        mask = np.logical_or.reduce([m for m, _ in children])
        return mask, (np.maximum.reduce([s for _, s in children]) if scored else None)

    @_node.register(Not)
    def _not(self, q: Not, scored: bool, memo: dict, deadline: Deadline | None):
        # No deadline below: a partial exclusion would select what the query excludes.
        return ~self._eval(q.child, False, memo)[0], (np.zeros(self.size) if scored else None)

    @_node.register(All)
    def _all(self, q: All, scored: bool, memo: dict, deadline: Deadline | None):
        return np.ones(self.size, dtype=bool), (np.zeros(self.size) if scored else None)

    @_node.register(Nothing)
    def _none(self, q: Nothing, scored: bool, memo: dict, deadline: Deadline | None):
        return self._nothing(scored)

    def _optional(self, children: tuple[Node, ...], scored: bool, memo: dict, deadline: Deadline | None) -> list:
        """The children of a union, in order, until the deadline is past (the first one always)."""
        evaluated = []
        for sub in children:
            if evaluated and deadline is not None and deadline.expired():
                break
            evaluated.append(self._eval(sub, scored, memo, deadline))
        return evaluated

    def _nothing(self, scored: bool):
        return np.zeros(self.size, dtype=bool), (np.zeros(self.size) if scored else None)

    def _term(self, field: str, text: str, scored: bool):
        ids, term_scores = self.term(field, text)
        mask = np.zeros(self.size, dtype=bool)
        mask[ids] = True
        scores = None
        if scored:
            scores = np.zeros(self.size)
            scores[ids] = term_scores
        return mask, scores

    def _phrase(self, field: str, words: list[str], scored: bool, memo: dict):
        terms = [self._term(field, w, scored) for w in words]
        mask = terms[0][0].copy()
        for m, _ in terms[1:]:
            mask &= m
        if mask.any() and len(words) > 1:
            key = (field, tuple(words))  # the candidates (mask) follow from the words alone
            if key not in memo:
                memo[key] = self._in_order(field, words, mask, memo)
            mask &= memo[key]
        scores = None
        if scored:
            scores = np.zeros(self.size)
            for _, s in terms:
                scores += s
            scores[~mask] = 0.0
        return mask, scores

    def _in_order(self, field: str, words: list[str], candidates: np.ndarray, memo: dict) -> np.ndarray:
        """Where the words occur in order: a folded term in any accented form, an exact term
        in its own (by its mark code)."""
        return self.forward.phrase(field, phrase_syllables(words), candidates, memo)

    def _near(self, field: str, words: list[str], slop: int, scored: bool, memo: dict):
        """The documents where the words occur within one window (Near); their terms' scores."""
        terms = [self._term(field, w, scored) for w in dict.fromkeys(words)]
        mask = terms[0][0].copy()
        for m, _ in terms[1:]:
            mask &= m
        if mask.any() and len(words) > 1:
            key = ("near", field, tuple(words), slop)
            if key not in memo:
                memo[key] = self.forward.near(field, phrase_syllables(words), slop, mask, memo)
            mask &= memo[key]
        scores = None
        if scored:
            scores = np.zeros(self.size)
            for _, s in terms:
                scores += s
            scores[~mask] = 0.0
        return mask, scores

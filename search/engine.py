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

from functools import singledispatchmethod

import numpy as np

from .lru import BoundedLRU
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


class _Hits:
    """A node's matches as ascending, distinct docnums, with their scores (None when unscored)."""

    __slots__ = ("ids", "scores")

    def __init__(self, ids: np.ndarray, scores: np.ndarray | None):
        self.ids = ids
        self.scores = scores


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
        self._postings = BoundedLRU(CACHE_POSTINGS, cost=lambda found: len(found[0]))

    # ---- postings ---------------------------------------------------------------------

    def term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums as int32, BM25F scores as float32) of a term, ascending docnums; cached."""
        key = (field, text)
        found = self._postings.get(key)
        if found is None:
            found = self._read_term(field, text)
            self._postings.put(key, found)
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
        """(bool per docnum, score per docnum or None): a node's answer over the whole corpus."""
        return self._dense(self._eval_any(q, scored, memo, deadline), scored)

    def _eval_any(self, q: Node, scored: bool, memo: dict, deadline: Deadline | None = None):
        """A node's answer as its node gives it: dense (mask, scores), or _Hits (a Term's, a
        Phrase's and an Adjacent's), which a union adds in without a corpus-sized array each."""
        found = self._node(q, scored, memo, deadline)
        boost = getattr(q, "boost", 1.0)
        if scored and boost != 1.0:
            if isinstance(found, _Hits):
                found.scores *= boost  # a fresh array of the node's own
            else:
                scores = found[1]
                scores *= boost
        return found

    def _dense(self, found, scored: bool) -> tuple[np.ndarray, np.ndarray | None]:
        if not isinstance(found, _Hits):
            return found
        mask = np.zeros(self.size, dtype=bool)
        mask[found.ids] = True
        scores = None
        if scored:
            scores = np.zeros(self.size)
            scores[found.ids] = found.scores
        return mask, scores

    @singledispatchmethod
    def _node(self, q: Node, scored: bool, memo: dict, deadline: Deadline | None):
        raise TypeError(f"unsupported query {q!r}")

    @_node.register(Term)
    def _term_node(self, q: Term, scored: bool, memo: dict, deadline: Deadline | None):
        ids, term_scores = self.term(q.field, q.text)
        return _Hits(ids, term_scores.astype(np.float64) if scored else None)

    @_node.register(Adjacent)
    def _adjacent(self, q: Adjacent, scored: bool, memo: dict, deadline: Deadline | None):
        ids = np.flatnonzero(self._phrase_mask(q.field, list(q.words), memo))
        return _Hits(ids, np.full(len(ids), robertson_idf(len(ids), self.size)) if scored else None)

    @_node.register(Phrase)
    def _phrase_node(self, q: Phrase, scored: bool, memo: dict, deadline: Deadline | None):
        words = list(q.words)
        ids = np.flatnonzero(self._phrase_mask(q.field, words, memo))
        scores = None
        if scored:  # its terms' scores, summed in order (every one holds each of these documents)
            scores = np.zeros(len(ids))
            for w in words:
                term_ids, term_scores = self.term(q.field, w)
                scores += term_scores[np.searchsorted(term_ids, ids)]
        return _Hits(ids, scores)

    @_node.register(Near)
    def _near_node(self, q: Near, scored: bool, memo: dict, deadline: Deadline | None):
        return self._near(q.field, list(q.words), q.slop, scored, memo)

    @_node.register(Or)
    def _any(self, q: Or, scored: bool, memo: dict, deadline: Deadline | None):
        return self._union(self._optional(q.children, scored, memo, deadline, dense=False), scored)

    @_node.register(And)
    def _every(self, q: And, scored: bool, memo: dict, deadline: Deadline | None):
        # every child is required: none may be skipped
        children = [self._eval(sub, scored, memo, deadline) for sub in q.children]
        if not children:
            return self._nothing(scored)
        mask = children[0][0].copy()
        for m, _ in children[1:]:
            mask &= m
        scores = None
        if scored:
            scores = children[0][1].copy()
            for _, s in children[1:]:
                scores += s
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

    def _optional(self, children: tuple[Node, ...], scored: bool, memo: dict, deadline: Deadline | None,
                  dense: bool = True) -> list:
        """The children of a union, in order, until the deadline is past (the first one always)."""
        evaluated = []
        for sub in children:
            if evaluated and deadline is not None and deadline.expired():
                break
            evaluated.append((self._eval if dense else self._eval_any)(sub, scored, memo, deadline))
        return evaluated

    def _union(self, children: list, scored: bool):
        """Matches of any child; scores summed in the children's order (the same sums as adding
        dense arrays: a document a child does not match adds 0.0 there)."""
        if not children:
            return self._nothing(scored)
        mask = np.zeros(self.size, dtype=bool)
        scores = np.zeros(self.size) if scored else None
        for found in children:
            if isinstance(found, _Hits):
                mask[found.ids] = True
                if scored:
                    scores[found.ids] += found.scores  # docnums are distinct: no lost additions
            else:
                mask |= found[0]
                if scored:
                    scores += found[1]
        return mask, scores

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

    def _phrase_mask(self, field: str, words: list[str], memo: dict) -> np.ndarray:
        """bool per docnum: the documents holding every word, side by side in this order."""
        mask = self._holding(field, words)
        if mask.any() and len(words) > 1:
            key = (field, tuple(words))  # the candidates (mask) follow from the words alone
            if key not in memo:
                # Where any accented form may stand, in either field: one check of the word order
                # serves the title and the text, the folded and the exact phrase.
                folded = [f for f, _ in phrase_syllables(words)]
                memo[key] = self._in_order(field, words, self._holding_anywhere(folded, memo) | mask, memo)
            mask &= memo[key]
        return mask

    def _holding(self, field: str, words: list[str]) -> np.ndarray:
        """bool per docnum: the documents whose `field` holds every word."""
        mask = self._term(field, words[0], False)[0]
        for w in words[1:]:
            mask &= self._term(field, w, False)[0]
        return mask

    def _holding_anywhere(self, words: list[str], memo: dict) -> np.ndarray:
        """The documents holding every word in the title or in the text."""
        key = ("holding", tuple(words))
        if key not in memo:
            memo[key] = self._holding(TEXT_FIELDS[0], words) | self._holding(TEXT_FIELDS[1], words)
        return memo[key]

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

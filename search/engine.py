"""Query execution on numpy arrays: the Whoosh query trees of search/query.py, evaluated
over whole posting lists at once instead of Whoosh's matcher-per-document loop.

    Term     its posting list (document numbers and BM25F scores, cached per term)
    Adjacent the idf of the pair of terms, in the documents where they are adjacent
    Phrase   its terms' scores, in the documents where the folded syllables occur in order,
             found from the positions of each syllable's hash in the forward file (one
             32-bit hash per syllable, see index.ForwardFile and search/positions.py)
    Or/And   union/intersection of matches, sum of scores, times the query's boost
    DisjunctionMax   union of matches, the best child's score
    Not      the live documents the child does not match

Scores are those of ranking.WEIGHTING (BM25F, Robertson's idf, its K1 and B), with each field's
exact syllable count (from the forward file) as its length; Whoosh keeps lengths in one lossy
byte, which cost relevance. Unlike Whoosh's searcher, a boost on an Or is applied (Whoosh lost
it: titles counted once, not twice).
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.util.numeric import byte_to_length

from .analysis import FOLDED_PREFIX, forward_hash, mark_code
from .positions import MARKS, Positions, of_form, read_u16, read_u32
from .ranking import WEIGHTING, Adjacent, robertson_idf
from .text import fold_accents

TEXT_FIELDS = ("title", "text")
# Postings kept decoded (8 bytes each: 190 MB at most). The perf query set's 250 queries read
# 22M postings at 107k articles; an LRU smaller than a repeated working set never hits.
CACHE_POSTINGS = 24_000_000
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class Forward:
    """The forward file of a generation, with each document's place in it, the positions of
    each syllable hash (search/positions.py) and the marks file beside it (each place's
    accented form). Read with positional reads, not memory-mapped."""

    def __init__(self, path: Path, starts: np.ndarray, title_lengths: np.ndarray, live: np.ndarray,
                 text_lengths: np.ndarray | None = None):
        self._file = open(path, "rb")
        self.length = os.fstat(self._file.fileno()).st_size // 4  # entries
        marks = path.parent / MARKS
        self._marks = open(marks, "rb") if marks.exists() and marks.stat().st_size >= 2 * self.length else None
        self.positions = Positions(path.parent, self._file, self.length, self._marks)
        self.starts = starts  # int64 per docnum
        self.title_lengths = title_lengths  # int64 per docnum
        order = np.argsort(starts, kind="stable")
        self._sorted_starts = starts[order]
        self._sorted_docs = order
        if text_lengths is not None:  # title, 0, text, 0
            self.ends = starts + title_lengths + text_lengths + 2
        else:  # an index built before the fwd_text column: where the next article (or the file) starts
            self.ends = np.empty_like(starts)
            self.ends[order] = np.append(self._sorted_starts[1:], self.length)
        self._live = live

    def _docs(self, at: np.ndarray) -> np.ndarray:
        """The docnum of each position: of the article starting last at or before it (the
        caller checks the position is not past that article's end)."""
        slot = np.searchsorted(self._sorted_starts, at, side="right") - 1
        return self._sorted_docs[np.maximum(slot, 0)]

    def phrase(self, field: str, syllables: list[tuple[str, int | None]], candidates: np.ndarray,
               memo: dict | None = None) -> np.ndarray:
        """bool per docnum: the syllables occur in this order in `field`, in one of the
        `candidates` (bool per docnum). Each syllable is (folded term, mark code): the mark code
        asks for that accented form, None for any. When the candidates are many, the
        occurrences are found once for every field and kept in `memo` (a request's: title and
        text share them)."""
        size = len(self.starts)
        mask = np.zeros(size, dtype=bool)
        if not size or not self.length:
            return mask
        few = candidates.sum() * 4 < size
        key = ("occurrences", tuple(syllables))
        if few or memo is None or key not in memo:
            found = self._occurrences(syllables, candidates if few else None)
            if not few and memo is not None:
                memo[key] = found
        else:
            found = memo[key]
        docs, in_title = found
        mask[docs[in_title if field == "title" else ~in_title]] = True
        return mask & self._live

    def _occurrences(self, syllables: list[tuple[str, int | None]], candidates: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray]:
        """(docnum, in the title?) of each place where the syllables occur in order. Starts
        from the positions of the rarest one (only those in `candidates`, when given); each other
        syllable is checked in the files themselves when few places remain, else by a merge with
        its own positions."""
        codes = [forward_hash(folded) for folded, _ in syllables]
        marks = [mark if self._marks is not None else None for _, mark in syllables]
        counts = [self.positions.count(c) for c in codes]
        anchor = min(range(len(codes)), key=counts.__getitem__)
        hits = self.positions.of(codes[anchor], marks[anchor])
        if len(hits) and candidates is not None:  # few candidates: drop the other hits now
            docs = self._docs(hits)
            hits = hits[candidates[docs] & (hits >= self.starts[docs]) & (hits < self.ends[docs])]
        for i, code in enumerate(codes):
            if i == anchor or not len(hits):
                continue
            want = hits + (i - anchor)
            inside = (want >= 0) & (want < self.length)
            hits, want = hits[inside], want[inside]
            if len(hits) <= 16 and len(hits) * 64 < counts[i]:  # a few reads of 4 bytes
                hits = hits[np.array([self._is_at(int(w), code, marks[i]) for w in want], dtype=bool)]
            else:
                other = self.positions.of(code, marks[i])
                if not len(other):
                    hits = hits[:0]
                    break
                j = np.minimum(np.searchsorted(other, want), len(other) - 1)
                hits = hits[other[j] == want]
        docs = self._docs(hits)
        # Past an article's end lies a gap: what a merge dropped with deleted documents.
        inside = (hits >= self.starts[docs]) & (hits < self.ends[docs])
        hits, docs = hits[inside], docs[inside]
        return docs, hits < self.starts[docs] + self.title_lengths[docs]

    def _is_at(self, place: int, code: int, mark: int | None) -> bool:
        found = read_u32(self._file, 4 * place, 1)
        if len(found) != 1 or found[0] != code:
            return False
        return mark is None or bool(of_form(read_u16(self._marks, 2 * place, 1), mark).all())


class Engine:
    """Evaluates queries against one reader; safe to share between threads."""

    def __init__(self, reader, live: np.ndarray, forward: Forward | None):
        self.reader = reader
        self.size = reader.doc_count_all()
        self.live = live
        self.forward = forward
        if forward is not None:  # exact syllable counts (Whoosh keeps one lossy byte per length)
            text_lengths = forward.ends - forward.starts - forward.title_lengths - 2
            self._lengths = {"title": forward.title_lengths.astype(np.float64),
                             "text": text_lengths.astype(np.float64)}
            self._avg = {f: float(v[live].mean()) if live.any() else 1.0 for f, v in self._lengths.items()}
            self._avg = {f: v or 1.0 for f, v in self._avg.items()}
        else:
            self._lengths = {f: self._field_lengths(f) for f in TEXT_FIELDS}
            self._avg = {f: (reader.field_length(f) / (self.size or 1)) or 1 for f in TEXT_FIELDS}
        self._cache: OrderedDict = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()

    def _field_lengths(self, field: str) -> np.ndarray:
        lengths = np.ones(self.size, dtype=np.float64)
        for leaf, base in self.reader.leaf_readers():
            get = leaf._perdoc.doc_field_length_reader(field, 0) if hasattr(leaf, "_perdoc") else None
            for docnum in range(leaf.doc_count_all()):
                value = get(docnum) if get else leaf.doc_field_length(docnum, field, 0)
                lengths[base + docnum] = value or 1
        return lengths

    # ---- postings ---------------------------------------------------------------------

    def term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums as int32, BM25F scores as float32) of a term, ascending docnums; cached."""
        key = (field, text)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        with self._read_lock:  # Whoosh's posting files are read with seek + read
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
        ids_parts, tf_parts = [], []
        btext = text.encode("utf-8")
        for leaf, base in self.reader.leaf_readers():
            if (field, btext) not in leaf:
                continue
            ids, tf = _leaf_postings(leaf.postings(field, btext))
            ids_parts.append(ids + base)
            tf_parts.append(tf)
        if not ids_parts:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        ids = np.concatenate(ids_parts)
        tf = np.concatenate(tf_parts)
        idf = robertson_idf(self.reader.doc_frequency(field, btext), self.size)
        k1, b = WEIGHTING.K1, WEIGHTING._field_B.get(field, WEIGHTING.B)
        lengths = self._lengths[field][ids]
        scores = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / self._avg[field])))
        return ids.astype(np.int32), scores.astype(np.float32)

    # ---- evaluation -------------------------------------------------------------------

    def matches(self, q: wq.Query, memo: dict | None = None) -> np.ndarray:
        """bool per docnum (deleted documents included: the caller masks them). Calls given the
        same `memo` (one request's) check each phrase's word order once."""
        return self._eval(q, False, {} if memo is None else memo)[0]

    def scores(self, q: wq.Query, memo: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(bool per docnum, score per docnum)."""
        return self._eval(q, True, {} if memo is None else memo)

    def _eval(self, q: wq.Query, scored: bool, memo: dict) -> tuple[np.ndarray, np.ndarray | None]:
        boost = getattr(q, "boost", 1.0)
        if isinstance(q, wq.Term):
            mask, scores = self._term(q.fieldname, q.text, scored)
        elif isinstance(q, Adjacent):
            mask, _ = self._phrase(q.fieldname, list(q.words), False, memo)
            scores = mask * robertson_idf(int(mask.sum()), self.size) if scored else None
        elif isinstance(q, wq.Phrase):
            mask, scores = self._phrase(q.fieldname, list(q.words), scored, memo)
        elif isinstance(q, (wq.Or, wq.And)):
            children = [self._eval(sub, scored, memo) for sub in q.subqueries]
            if not children:
                return self._nothing(scored)
            mask = children[0][0].copy()
            for m, _ in children[1:]:
                if isinstance(q, wq.Or):
                    mask |= m
                else:
                    mask &= m
            scores = None
            if scored:
                scores = children[0][1].copy()
                for _, s in children[1:]:
                    scores += s
                if isinstance(q, wq.And):
                    scores[~mask] = 0.0
        elif isinstance(q, wq.DisjunctionMax):
            children = [self._eval(sub, scored, memo) for sub in q.subqueries]
            if not children:
                return self._nothing(scored)
            mask = np.logical_or.reduce([m for m, _ in children])
            scores = np.maximum.reduce([s for _, s in children]) if scored else None
        elif isinstance(q, wq.Not):
            mask = ~self._eval(q.query, False, memo)[0]
            scores = np.zeros(self.size) if scored else None
            boost = 1.0
        elif isinstance(q, wq.Every):
            mask = np.ones(self.size, dtype=bool)
            scores = np.zeros(self.size) if scored else None
        elif q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self._nothing(scored)
        else:
            raise TypeError(f"unsupported query {q!r}")
        if scored and boost != 1.0:
            scores *= boost
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
        syllables = [(w, None) if w.startswith(FOLDED_PREFIX) else (FOLDED_PREFIX + fold_accents(w), mark_code(w))
                     for w in words]
        if self.forward is not None:
            return self.forward.phrase(field, syllables, candidates, memo)
        # An index without a forward file (built by an older version): Whoosh's phrase matcher.
        from whoosh.searching import Searcher

        mask = np.zeros(self.size, dtype=bool)
        with self._read_lock, Searcher(self.reader, closereader=False) as searcher:
            ids = list(searcher.docs_for_query(wq.Phrase(field, words)))
        mask[np.array(ids, dtype=np.int64)] = True
        return mask


def _leaf_postings(m) -> tuple[np.ndarray, np.ndarray]:
    """All (docnums, term frequencies) of one segment's posting list, block by block."""
    if isinstance(m, W3LeafMatcher):
        ids, weights = [], []
        while True:
            m._read_data()
            deltas, block_weights = m._data[0], m._data[1]
            block_ids = np.asarray(deltas, dtype=np.int64)
            ids.append(block_ids if m._byteids else np.cumsum(block_ids))
            if block_weights is None or isinstance(block_weights, float):
                weights.append(np.full(len(block_ids), 1.0 if block_weights is None else block_weights))
            else:
                weights.append(np.asarray(block_weights, dtype=np.float64))
            if m._lastblock:
                break
            m._goto(m._nextoffset)
        return np.concatenate(ids), np.concatenate(weights)
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)

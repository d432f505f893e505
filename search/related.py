"""Related articles ("more like this", as Lucene's MoreLikeThis does it, over our own index): an
article's most distinctive syllables, by tf·idf of its own title and text, OR-ed and scored by
the engine's BM25F; the best others, the article and its copies excluded. Each syllable's counts
per document come from its positions (store/forward.py's `counts`), not from its posting list:
raw arrays read and counted with numpy, several times faster than decoding Whoosh's blocks for
the common syllables an article is about ("bão", "thuế": 2,000 to 5,000 articles at 107k).

    distinctive_terms(view, stored)   (syllable, weight) of the article's MAX_TERMS best
    copies_of(view, docnum)           the documents that are the article or a copy of it
    related(view, docnum)             [(docnum, score)] of the RELATED_SIZE most similar others
"""
from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict

import numpy as np

from .analysis import SYLLABLE, normalize_syllable
from .ranking import robertson_idf
from .snapshot import Snapshot
from .store.forward import phrase_syllables
from .store.schema import text_from_stored

RELATED_SIZE = 5
MAX_TERMS = 20  # the article's syllables the query is made of
TITLE_TIMES = 3  # a syllable of the title counts as this many of the text
SCANNED_CHARS = 20_000  # of a long text, its beginning: what it is about is said early
MIN_DOCUMENTS = 2  # a syllable only this article has finds nothing else
# A syllable in more of the articles than this share (and than MAX_DF_FLOOR) says little of any,
# and costs the most to count (Lucene's max_doc_freq).
MAX_DF_SHARE = 0.05
MAX_DF_FLOOR = 1000
CACHED_SCORES = 2_000_000  # (document, score) pairs kept per process (12 bytes each: 24 MB at most)


def copies_of(view: Snapshot, docnum: int) -> np.ndarray:
    """Document numbers of the article and of its copies, never shown as related to it: today the
    articles with its content key (the same normalised title and text; build indexes one per key,
    so that is the article alone). The one place copies are decided: near-duplicate groups join
    here, the members of the article's group (`group_members(docnum)`) added to these."""
    key = view.store.stored(docnum).get("content")
    same_key = view.store.postings("content", key)[0] if key else np.zeros(0, dtype=np.int64)
    return np.union1d(same_key, [docnum]).astype(np.int64)


def distinctive_terms(view: Snapshot, stored: dict, limit: int = MAX_TERMS) -> list[tuple[str, float]]:
    """The article's `limit` syllables (as written, exact terms) weighing most: (1 + log tf) × idf,
    tf counting a title syllable TITLE_TIMES; numbers, one-letter syllables and syllables no other
    article has left out. Weights are relative to the best one (1.0)."""
    return weighed_terms(view.vocabulary.syllable_df, view.store.size, stored, limit)


def weighed_terms(frequencies: dict[str, int], size: int, stored: dict, limit: int = MAX_TERMS
                  ) -> list[tuple[str, float]]:
    """distinctive_terms from the index's syllable document frequencies and size (both backends)."""
    written: Counter[str] = Counter()  # as written: each distinct spelling normalised once, below
    for times, text in ((TITLE_TIMES, stored.get("title") or ""),
                        (1, text_from_stored(stored.get("text") or "")[:SCANNED_CHARS])):
        for syllable, tf in Counter(SYLLABLE.findall(text)).items():
            written[syllable] += tf * times
    counts: Counter[str] = Counter()
    for syllable, tf in written.items():
        if len(syllable) > 1 and not syllable.isdigit():
            counts[normalize_syllable(syllable)] += tf
    weighed = []
    max_df = max(MAX_DF_SHARE * size, MAX_DF_FLOOR)
    for term, tf in counts.items():
        df = frequencies.get(term, 0)
        if MIN_DOCUMENTS <= df <= max_df:
            idf = robertson_idf(df, size)
            if idf > 0:
                weighed.append((term, (1.0 + math.log(tf)) * idf))
    weighed.sort(key=lambda item: (-item[1], item[0]))
    best = weighed[0][1] if weighed else 1.0
    return [(term, weight / best) for term, weight in weighed[:limit]]


def related(view: Snapshot, docnum: int, size: int = RELATED_SIZE) -> list[tuple[int, float]]:
    """(docnum, score) of the `size` articles most similar to `docnum`, best first: the OR of its
    distinctive terms, each boosted by its weight, scored by BM25F (titles double, as in search)."""
    terms = distinctive_terms(view, view.store.stored(docnum), MAX_TERMS)
    if not terms:
        return []
    scores = np.zeros(view.store.size)
    for (term, weight), syllable in zip(terms, phrase_syllables([t for t, _ in terms])):
        for docs, term_scores, boost in _scored(view, syllable):
            scores[docs] += term_scores * (boost * weight)
    scores[~view.columns.live] = 0.0
    scores[copies_of(view, docnum)] = 0.0
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > size:
        candidates = candidates[np.argpartition(-scores[candidates], size - 1)[:size]]
    order = np.lexsort((candidates, -scores[candidates]))
    return [(int(d), round(float(scores[d]), 4)) for d in candidates[order]]


_cache: OrderedDict = OrderedDict()
_cached = 0
_cache_lock = threading.Lock()


def _scored(view: Snapshot, syllable: tuple[str, int | None]) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """[(docnums, BM25F scores, boost)] of one syllable in the title and in the text, from its
    counts per document (its positions); kept in an LRU, since the common syllables an article is
    about come back in the next one."""
    global _cached
    key = (view.key, syllable)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    engine = view.engine
    docs, in_title, in_text = view.store.forward.counts(syllable)
    found = []
    for field, tf, boost in (("title", in_title, engine.weights.title), ("text", in_text, 1.0)):
        holding = tf > 0
        if holding.any():
            ids = docs[holding]
            found.append((ids.astype(np.int32), engine.bm25(field, ids, tf[holding], len(ids)).astype(np.float32),
                          boost))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = found
            _cached += sum(len(ids) for ids, _, _ in found)
            while _cached > CACHED_SCORES and len(_cache) > 1:
                _, old = _cache.popitem(last=False)
                _cached -= sum(len(ids) for ids, _, _ in old)
    return found

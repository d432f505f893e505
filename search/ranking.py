"""How matches are scored: BM25F with Robertson's idf.

Whoosh's default idf, log(N / (df + 1)) + 1, never falls below 1, so words found in nearly every
article ("là", "của", "ở") still add to a score; long, question-like queries then rank by their
stop-words. Robertson's idf, log(1 + (N - df + 0.5) / (df + 0.5)), tends to 0 for them.
"""
from __future__ import annotations

from math import log

from whoosh import query as wq
from whoosh.scoring import BM25F


def robertson_idf(df: float, n: float) -> float:
    return log(1 + (n - df + 0.5) / (df + 0.5))


class RobertsonBM25F(BM25F):
    def idf(self, searcher, fieldname: str, text) -> float:
        parent = searcher.get_parent()
        return robertson_idf(parent.doc_frequency(fieldname, text), parent.doc_count_all())


class Adjacent(wq.Phrase):
    """Two folded syllables next to each other, scored as if the pair were one term: its own
    idf, from the documents holding the pair, once per document (search/engine.py). Common
    syllables side by side can make a rare pair ("giữ ấm", "mũi ba"), so this rewards articles
    that use the question's wording, not only its syllables."""


WEIGHTING = RobertsonBM25F()

"""How matches are scored: BM25F (its constants in query.weights.Weights) with Robertson's idf.

Whoosh's default idf, log(N / (df + 1)) + 1, never falls below 1, so words found in nearly every
article ("là", "của", "ở") still add to a score; long, question-like queries then rank by their
stop-words. Robertson's idf, log(1 + (N - df + 0.5) / (df + 0.5)), tends to 0 for them.
"""
from __future__ import annotations

from math import log


def robertson_idf(df: float, n: float) -> float:
    return log(1 + (n - df + 0.5) / (df + 0.5))

"""One page of a selection, in its order: by relevance (the ranking tree's scores, articles
holding the typed sequence first) or by date, newest or oldest (undated articles last)."""
from __future__ import annotations

import numpy as np

from .query import DEFAULT_WEIGHTS, ParsedQuery, Weights, ranking_tree, sequence_queries
from .query.limits import Deadline
from .snapshot import Snapshot

TIER = 1e6  # above any score: articles holding the typed sequence come first (query.planner.sequence_queries)


def page_of(view: Snapshot, parsed: ParsedQuery, mode: str, sort: str, allowed: np.ndarray, memo: dict, page: int,
            size: int, weights: Weights = DEFAULT_WEIGHTS, deadline: Deadline | None = None,
            collapse: bool = False) -> tuple[list[int], list]:
    """Document numbers and scores of one page of the `allowed` documents in `sort` order: by
    relevance (the ranking tree, the typed sequence first) or by date (undated last). Past the
    `deadline`, ranking-only evidence is skipped (query/limits.py). With `collapse`, each group
    of republished copies is listed once, by its first member in that order (search/collapse.py)."""
    columns = view.columns
    start = (page - 1) * size
    candidates = np.flatnonzero(allowed)
    copies = view.copies if collapse else None
    if sort == "relevance":
        if start >= len(candidates):
            return [], []
        _, scores = view.engine.scores(ranking_tree(parsed, mode, weights), memo, deadline)
        shown = scores
        sequence = sequence_queries(parsed)
        # The typed sequence first: in the title, then in the text (ranking only: skipped late).
        if sequence is not None and not (deadline is not None and deadline.expired()):
            tiers = np.zeros(len(scores))
            for tier, q in zip((2.0, 1.0), sequence):
                tiers = np.maximum(tiers, view.engine.matches(q, memo) * tier)
            scores = scores + tiers * TIER
        places = page_places(candidates, -scores[candidates], start, size, copies)
        return candidates[places].tolist(), [round(float(s), 4) for s in shown[candidates[places]]]
    ranks = columns.date_rank[candidates].astype(np.int64)
    # The undated (rank -1) last, whichever the order.
    key = np.where(ranks < 0, np.iinfo(np.int64).max, -ranks if sort == "newest" else ranks)
    places = page_places(candidates, key, start, size, copies)
    return candidates[places].tolist(), [None] * len(places)


def page_places(candidates: np.ndarray, key: np.ndarray, start: int, size: int, copies=None) -> np.ndarray:
    """The places in `candidates` (ascending docnums) of one page of them ordered by `key`
    (smallest first), ties by docnum; with `copies`, each group of copies listed once, by its
    first in that order. Collapsing drops at most the grouped candidates, so the page lies
    among the first start + size + (grouped candidates) in order: only those are sorted."""
    grouped = int(copies.grouped[candidates].sum()) if copies is not None else 0
    if not grouped:
        copies = None  # nothing to collapse
    needed = start + size + grouped
    if 0 < needed < len(key):
        cut = key[np.argpartition(key, needed - 1)[needed - 1]]
        leading = np.flatnonzero(key <= cut)  # ties at the cut stay: the docnum decides among them
    else:
        leading = np.arange(len(key))
    order = leading[np.lexsort((candidates[leading], key[leading]))]
    if copies is not None:
        order = order[copies.first_of_groups(candidates[order])]
    return order[start:start + size]

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
    copies = view.copies
    collapse = collapse and bool(copies.grouped[candidates].any())
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
        wanted = scores[candidates]
        shown = shown[candidates]
        end = min(start + size, len(candidates))
        if collapse:  # the best of each group: the whole selection in order, then its groups' first
            order = np.lexsort((candidates, -wanted))
            order = order[copies.first_of_groups(candidates[order])][start:start + size]
            return candidates[order].tolist(), [round(float(s), 4) for s in shown[order]]
        if end < len(candidates):  # only the best `end` need ordering
            keep = np.argpartition(-wanted, end - 1)[:end]
            cut = wanted[keep].min()
            keep = np.flatnonzero(wanted >= cut)  # ties at the cut stay, ordered by docnum below
            candidates, wanted, shown = candidates[keep], wanted[keep], shown[keep]
        order = np.lexsort((candidates, -wanted))[start:end]
        return candidates[order].tolist(), [round(float(s), 4) for s in shown[order]]
    ranks = columns.date_rank[candidates]
    if sort == "newest":
        order = np.lexsort((candidates, -ranks, ranks < 0))
    else:
        order = np.lexsort((candidates, ranks, ranks < 0))
    ordered = candidates[order]
    if collapse:
        ordered = ordered[copies.first_of_groups(ordered)]
    picked = ordered[start:start + size]
    return picked.tolist(), [None] * len(picked)

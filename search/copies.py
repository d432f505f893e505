"""Republished copies: the same story republished with small edits (a changed headline, an added
byline, a trimmed last paragraph) found at indexing and grouped.

Exact copies (same normalised title and text) never reach the index: ingest's content key
counts them once. What is left are near-duplicates, found in three steps:

    shingles      every run of SHINGLE syllables of an article's text (its forward hashes:
                  folded syllables, so a copy that lost or changed marks still matches), hashed
    signatures    a MinHash of each article's shingle set (datasketch, NUM_PERM permutations)
    candidates    LSH: articles sharing one of BANDS bands of ROWS signature values
    verified      a candidate pair is the same story when their shingle sets overlap enough
                  (`same_story`: exact sets, not the estimate)

and verified pairs are joined into groups (union-find). The headline is left out on purpose: a
republished story often gets a new one, and two stories may share a headline template.

The LSH banding is done here over the signature matrix in numpy rather than with datasketch's
MinHashLSH: its buckets are Python dicts filled one key at a time, while ours are sorted arrays
(107k articles band in a fraction of a second) and need no pickled index in the generation.
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np

from .analysis import SYLLABLE, folded_term, forward_hash, normalize_syllable

SHINGLE = 5  # syllables per shingle
NUM_PERM = 128  # MinHash permutations
SEED = 20  # the permutations' seed: signatures persisted by one build are reused by the next update
BANDS, ROWS = 42, 3  # LSH: P(candidate | Jaccard j) = 1 - (1 - j**3)**42: 0.04 at 0.1, 0.68 at 0.3, 0.94 at 0.4, 0.99 at 0.5
MIN_SHINGLES = 20  # a text with fewer shingles (a caption, a one-line brief) is never grouped
# Same story: nearly all of the text in common. Jaccard of the shingle sets, or, for a copy that
# was trimmed (a paragraph dropped, a box left out), the share of the shorter one inside the longer.
# Chosen on the labelled pairs of tests/data/copies_pairs.tsv (bench/duplicates.py, bench/RESULTS.md).
SAME_JACCARD = 0.5
SAME_CONTAINMENT = 0.72
MIN_SHARED_RATIO = 0.3  # ... when the shorter one is at least this share of the longer one's shingles
MAX_BUCKET = 64  # a band shared by more articles pairs each with the bucket's first MAX_BUCKET only
SHINGLE_WINDOW = 1 << 18  # syllables shingled at a time
MINHASH_BATCH = 1 << 13  # shingles given to datasketch at a time
EMPTY = np.uint32(0xFFFFFFFF)  # a signature value of an empty set (datasketch's initial value)

_MIX = np.uint64(0x100000001B3)


def text_hashes(text: str) -> np.ndarray:
    """The forward hashes of a text's syllables (as analysis.term_counts writes them), without
    pyvi: the syllables are the same whatever the word segmentation."""
    return np.fromiter((forward_hash(folded_term(normalize_syllable(s))) for s in SYLLABLE.findall(text)),
                       dtype=np.uint32)


def shingles(hashes: np.ndarray) -> np.ndarray:
    """The distinct hashed runs of SHINGLE consecutive syllables (uint32, sorted), made a bounded
    window at a time: a 50 MB article costs a few megabytes here, not its length times eight."""
    n = len(hashes) - SHINGLE + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint32)
    parts = []
    for start in range(0, n, SHINGLE_WINDOW):
        window = np.asarray(hashes[start:start + SHINGLE_WINDOW + SHINGLE - 1], dtype=np.uint64)
        runs = len(window) - SHINGLE + 1
        combined = window[:runs].copy()
        for i in range(1, SHINGLE):
            combined = combined * _MIX + window[i:i + runs]  # wraps modulo 2**64
        parts.append(np.unique((combined ^ (combined >> np.uint64(32))).astype(np.uint32)))
    return parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))


def signatures(shingle_sets: Iterable[np.ndarray], count: int) -> np.ndarray:
    """MinHash signatures of `count` shingle sets, one row of NUM_PERM uint32 each (all EMPTY for
    a set too small to be grouped), with datasketch's batch update, MINHASH_BATCH values at a time
    (it holds a batch times NUM_PERM values while it works)."""
    out = np.full((count, NUM_PERM), EMPTY, dtype=np.uint32)
    if not count:
        return out
    from datasketch import MinHash  # here, not at import: datasketch loads scipy (0.7 s), which a no-op update need not

    blank = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int)
    for row, values in enumerate(shingle_sets):
        if len(values) < MIN_SHINGLES:
            continue
        minhash = blank.copy()
        for start in range(0, len(values), MINHASH_BATCH):
            minhash.update_batch(values[start:start + MINHASH_BATCH].tolist())
        out[row] = minhash.hashvalues
    return out


def eligible(signature_rows: np.ndarray) -> np.ndarray:
    """Bool per row: a signature of a set large enough to be grouped."""
    return (signature_rows != EMPTY).any(axis=1) if len(signature_rows) else np.zeros(0, dtype=bool)


def band_keys(signature_rows: np.ndarray) -> np.ndarray:
    """(rows, BANDS) uint64: each band's ROWS values hashed together."""
    values = signature_rows[:, :BANDS * ROWS].astype(np.uint64).reshape(len(signature_rows), BANDS, ROWS)
    keys = np.zeros((len(signature_rows), BANDS), dtype=np.uint64)
    for r in range(ROWS):
        keys = keys * _MIX + values[:, :, r] + np.uint64(1)
    return keys


def candidate_pairs(signature_rows: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """(m, 2) int64 row pairs (a < b) sharing at least one band; only `rows` (default: every
    eligible one) take part."""
    if rows is None:
        rows = np.flatnonzero(eligible(signature_rows))
    if len(rows) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    keys = band_keys(signature_rows[rows])
    found = []
    for band in range(BANDS):
        order = np.argsort(keys[:, band], kind="stable")
        ordered = keys[order, band]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(ordered)])
        two = starts[sizes == 2]  # most buckets: one pair each, taken together
        found.append(np.stack([rows[order[two]], rows[order[two + 1]]], axis=1))
        for start, size in zip(starts[sizes > 2], sizes[sizes > 2]):
            members = rows[order[start:start + size]]
            head = members[:MAX_BUCKET]
            a, b = np.triu_indices(len(head), 1)
            found.append(np.stack([head[a], head[b]], axis=1))
            if size > MAX_BUCKET:
                rest = members[MAX_BUCKET:]
                found.append(np.stack([np.repeat(head, len(rest)), np.tile(rest, len(head))], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    pairs.sort(axis=1)
    return np.unique(pairs, axis=0)


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Jaccard, containment of the smaller in the larger) of two sorted shingle sets."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared), shared / min(len(a), len(b))


def same_story(a: np.ndarray, b: np.ndarray) -> bool:
    """Two articles' shingle sets: nearly all of the text in common."""
    if min(len(a), len(b)) < MIN_SHINGLES:
        return False
    jaccard, containment = overlap(a, b)
    ratio = min(len(a), len(b)) / max(len(a), len(b))
    return jaccard >= SAME_JACCARD or (containment >= SAME_CONTAINMENT and ratio >= MIN_SHARED_RATIO)


def components(size: int, pairs: Iterable[tuple[int, int]], verify: Callable[[int, int], bool]) -> np.ndarray:
    """Union-find over `pairs` that `verify` accepts (a pair already joined is not checked again):
    int64 per row, a root shared by the rows of one group."""
    parent = np.arange(size, dtype=np.int64)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for a, b in pairs:
        ra, rb = root(int(a)), root(int(b))
        if ra != rb and verify(int(a), int(b)):
            parent[max(ra, rb)] = min(ra, rb)
    return np.fromiter((root(x) for x in range(size)), dtype=np.int64, count=size)


def representatives(roots: np.ndarray, rank: Callable[[np.ndarray], Sequence]) -> np.ndarray:
    """int64 per row: the row that names its group, the first of its members by `rank` (given
    a group's rows, their sort keys: the smallest article id), itself when alone."""
    out = np.arange(len(roots), dtype=np.int64)
    order = np.argsort(roots, kind="stable")
    ordered = roots[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(ordered)])
    for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
        members = order[start:start + size]
        keys = rank(members)
        out[members] = members[min(range(len(members)), key=keys.__getitem__)]
    return out


def group_rows(signature_rows: np.ndarray, shingles_of: Callable[[int], np.ndarray],
               rank: Callable[[np.ndarray], Sequence], rows: np.ndarray | None = None) -> np.ndarray:
    """int64 per row: its group's representative row. Candidates from the signatures' bands,
    verified on the exact shingle sets (`shingles_of(row)`), joined; `rows` limits who takes part
    (the live documents)."""
    cache: dict[int, np.ndarray] = {}

    def of(row: int) -> np.ndarray:
        if row not in cache:
            cache[row] = shingles_of(row)
        return cache[row]

    pairs = candidate_pairs(signature_rows, rows)
    roots = components(len(signature_rows), pairs, lambda a, b: same_story(of(a), of(b)))
    return representatives(roots, rank)


def group_generation(generation, ix) -> dict:
    """The grouping stage of a rebuild or an update, after its Whoosh commit: signatures of the
    documents the last grouping did not see (the others' are kept, found by their place in the
    forward file), candidates, verification, groups; written as the version's copies files.
    Returns what the report tells: groups, articles in them, seconds (wall and CPU), articles signed."""
    import time

    from .store.copies import document_table, stored_signatures, write_copies

    started, cpu = time.perf_counter(), time.process_time()
    table = document_table(generation, ix)
    rows = np.flatnonzero(table.live)
    kept_starts, kept = stored_signatures(generation)
    signature_rows = np.full((table.size, NUM_PERM), EMPTY, dtype=np.uint32)
    known = np.zeros(table.size, dtype=bool)
    if len(kept_starts) and kept.shape[1] == NUM_PERM:
        order = np.argsort(kept_starts)
        at = np.searchsorted(kept_starts[order], table.starts[rows])
        at = np.minimum(at, len(order) - 1)
        found = kept_starts[order][at] == table.starts[rows]
        signature_rows[rows[found]] = kept[order[at[found]]]
        known[rows[found]] = True
    missing = rows[~known[rows]]
    signature_rows[missing] = signatures((shingles(table.text_hashes(d)) for d in missing), len(missing))
    groups = group_rows(signature_rows, lambda d: shingles(table.text_hashes(d)),
                        lambda members: [table.article_id(int(d)) for d in members], rows)
    write_copies(generation, table.version, groups, table.starts[rows], signature_rows[rows])
    grouped = groups != np.arange(table.size)
    representatives_ = np.unique(groups[grouped])
    in_groups = int(grouped.sum() + len(representatives_))
    return {"groups": int(len(representatives_)), "articles_in_groups": in_groups,
            "seconds": round(time.perf_counter() - started, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3), "signed": int(len(missing))}

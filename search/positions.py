"""The forward file inverted: for each syllable hash, its positions in the file, so a phrase
or an adjacent pair is checked from the sorted positions of its syllables instead of by
reading every article that contains them (at 107k articles a pair of common words meant
reading most of the 230 MB file, several times per query).

A generation holds parts, each covering a range [start, end) of the forward file:

    positions-<start>-<end>.codes.npy    uint32: the distinct hashes, ascending
    positions-<start>-<end>.offsets.npy  int64: where each hash's positions begin, then the end
    positions-<start>-<end>.pos.npy      uint32: positions, grouped by hash, ascending

`rebuild` writes one part for the whole file, `update` one for what it appended, and folds the
parts into one when there are more than MAX_PARTS. Ranges that no part covers (an update
interrupted between its commit and its part) are scanned directly: a missing part costs
time, never results.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_PARTS = 6
_PART = re.compile(r"positions-(\d+)-(\d+)\.pos\.npy")
_CHUNK = 1 << 23  # entries per step while building keys (64 MB of uint64)
_ARRAYS = ("codes", "offsets", "pos")


def _name(start: int, end: int, kind: str) -> str:
    return f"positions-{start}-{end}.{kind}.npy"


def part_ranges(generation: Path) -> list[tuple[int, int]]:
    out = []
    for path in generation.glob("positions-*.pos.npy"):
        m = _PART.fullmatch(path.name)
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return sorted(out)


def write_part(generation: Path, forward: Path, start: int, end: int) -> None:
    """Invert forward[start:end] into a part (separators, hash 0, left out)."""
    if end <= start or end >= 1 << 32:  # positions are uint32; a bigger file is scanned
        return
    data = np.memmap(forward, dtype=np.uint32, mode="r", offset=start * 4, shape=(end - start,))
    keys = np.empty(end - start, dtype=np.uint64)  # hash << 32 | position: one in-place sort
    for a in range(0, len(keys), _CHUNK):
        b = min(a + _CHUNK, len(keys))
        chunk = keys[a:b]
        chunk[:] = data[a:b]
        chunk <<= np.uint64(32)
        chunk |= np.arange(start + a, start + b, dtype=np.uint64)
    del data
    keys.sort()
    keys = keys[np.searchsorted(keys, np.uint64(1) << np.uint64(32)):]  # drop the separators
    codes_all = (keys >> np.uint64(32)).astype(np.uint32)
    pos = keys.astype(np.uint32)  # the low 32 bits
    del keys
    heads = np.flatnonzero(np.diff(codes_all)) + 1
    first = np.concatenate(([0], heads)) if len(codes_all) else np.zeros(0, np.int64)
    arrays = {"codes": codes_all[first], "offsets": np.append(first, len(pos)).astype(np.int64), "pos": pos}
    for kind in _ARRAYS:  # .pos last: a part exists once its .pos file does
        temporary = generation / f".{_name(start, end, kind)}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            np.save(handle, arrays[kind])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, generation / _name(start, end, kind))


def add_part(generation: Path, forward: Path, start: int, end: int) -> None:
    """After an update appended forward[start:end]: a part for it, or, past MAX_PARTS, one part
    for the whole file in place of the others."""
    if end <= start:
        return
    ranges = part_ranges(generation)
    if len(ranges) + 1 <= MAX_PARTS:
        write_part(generation, forward, start, end)
        return
    write_part(generation, forward, 0, end)
    for old in ranges:
        if old != (0, end):
            for kind in reversed(_ARRAYS):  # .pos first: the part stops existing at once
                (generation / _name(*old, kind)).unlink(missing_ok=True)


@dataclass
class _Part:
    start: int
    end: int
    codes: np.ndarray
    offsets: np.ndarray
    pos: np.ndarray  # memory-mapped

    def count(self, code: int) -> int:
        i = int(np.searchsorted(self.codes, code))
        if i < len(self.codes) and self.codes[i] == code:
            return int(self.offsets[i + 1] - self.offsets[i])
        return 0

    def of(self, code: int) -> np.ndarray:
        i = int(np.searchsorted(self.codes, code))
        if i < len(self.codes) and self.codes[i] == code:
            return self.pos[self.offsets[i]:self.offsets[i + 1]]
        return self.pos[:0]


class Positions:
    """Sorted positions of a hash in a forward file of `length` entries, from the parts that
    tile it and a direct scan of what they leave uncovered."""

    def __init__(self, generation: Path, data: np.ndarray):
        self.data = data
        self.parts: list[_Part] = []
        covered = 0
        for start, end in part_ranges(generation):
            if start < covered or end > len(data):  # overlapping, or past the committed file
                continue
            try:
                arrays = [np.load(generation / _name(start, end, kind), mmap_mode="r") for kind in _ARRAYS]
            except (OSError, ValueError):  # folded away meanwhile: its range is scanned
                continue
            self.parts.append(_Part(start, end, np.asarray(arrays[0]), np.asarray(arrays[1]), arrays[2]))
            covered = end
        self.gaps: list[tuple[int, int]] = []  # ranges no part covers, in order
        at = 0
        for part in self.parts:
            if part.start > at:
                self.gaps.append((at, part.start))
            at = part.end
        if at < len(data):
            self.gaps.append((at, len(data)))

    def count(self, code: int) -> int:
        """How many positions `code` has (gaps counted by scanning them)."""
        return sum(p.count(code) for p in self.parts) + sum(
            int(np.count_nonzero(self.data[a:b] == code)) for a, b in self.gaps)

    def of(self, code: int) -> np.ndarray:
        """Every position of `code`, ascending, as int64."""
        pieces = [(p.start, p.of(code)) for p in self.parts]
        pieces += [(a, np.flatnonzero(self.data[a:b] == code) + a) for a, b in self.gaps]
        pieces = [piece for _, piece in sorted(pieces, key=lambda x: x[0]) if len(piece)]
        if not pieces:
            return np.zeros(0, dtype=np.int64)
        if len(pieces) == 1:
            return pieces[0].astype(np.int64)
        return np.concatenate(pieces).astype(np.int64)

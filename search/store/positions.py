"""The forward file inverted: for each syllable hash, its positions in the file, so a phrase
or an adjacent pair is checked from the sorted positions of its syllables instead of by
reading every article that contains them (at 107k articles a pair of common words meant
reading most of the 230 MB file, several times per query).

A generation holds parts, each covering a range [start, end) of the forward file:

    positions-<start>-<end>.codes.npy    uint32: the distinct hashes, ascending
    positions-<start>-<end>.offsets.npy  int64: where each hash's positions begin, then the end
    positions-<start>-<end>.pos.npy      uint32: positions, grouped by hash, ascending
    positions-<start>-<end>.marks.npy    uint16: the mark code at each of those positions (from
                                         MARKS; a part without it matches every form)

`rebuild` writes one part for the whole file, `update` one for what it appended and for any
earlier range no part covers, and folds the parts into one when there are more than MAX_PARTS.
Ranges that no part covers (an update killed or out of disk between its commit and its part)
are scanned directly until the next update writes their part: a missing part costs time,
never results.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..analysis import ANY_MARK
from .container import MARKS

MAX_PARTS = 6
_PART = re.compile(r"positions-(\d+)-(\d+)\.pos\.npy")
_CHUNK = 1 << 23  # entries read at a time while building a part (32 MB)
BUCKET_BITS = 3  # a part is built in 8 ranges of hashes, by their top bits
_ARRAYS = ("codes", "offsets", "marks", "pos")


def _name(start: int, end: int, kind: str) -> str:
    return f"positions-{start}-{end}.{kind}.npy"


def part_ranges(generation: Path) -> list[tuple[int, int]]:
    out = []
    for path in generation.glob("positions-*.pos.npy"):
        m = _PART.fullmatch(path.name)
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return sorted(out)


def covering(ranges: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The parts readers use, in order: each starting at or after the end of the one before
    (an overlapping one, left by a fold that was interrupted, is skipped) and inside the file."""
    used, covered = [], 0
    for start, end in sorted(ranges):
        if start >= covered and end <= length:
            used.append((start, end))
            covered = end
    return used


def uncovered(ranges: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The ranges of a file of `length` entries that the parts `ranges` (as `covering` keeps
    them) leave without positions, in order."""
    gaps, at = [], 0
    for start, end in covering(ranges, length):
        if start > at:
            gaps.append((at, start))
        at = end
    if at < length:
        gaps.append((at, length))
    return gaps


def write_part(generation: Path, forward: Path, start: int, end: int) -> None:
    """Invert forward[start:end] into a part (separators, hash 0, left out). The hashes are
    taken in 2**BUCKET_BITS ranges of their top bits, one after another, so memory stays near
    an eighth of the file's size whatever the corpus (107k articles: 57M positions). On any
    failure (a full disk) its temporary files are removed and the error raised."""
    if end <= start or end >= 1 << 32:  # positions are uint32; a bigger file is scanned
        return
    temporaries = {kind: generation / f".{_name(start, end, kind)}.{os.getpid()}.tmp" for kind in _ARRAYS}
    try:
        _write_part(generation, forward, start, end, temporaries)
    except BaseException:
        for path in temporaries.values():
            path.unlink(missing_ok=True)
        raise


def _write_array(handle, array: np.ndarray) -> None:
    """Through the file object, not numpy's tofile: a full disk then raises OSError with its
    errno (ENOSPC) instead of "n requested and m written"."""
    handle.write(np.ascontiguousarray(array).data)


def _save(handle, array: np.ndarray) -> None:
    """np.save's bytes (a version 1.0 header, then the array), written by _write_array."""
    np.lib.format.write_array_header_1_0(handle, np.lib.format.header_data_from_array_1_0(array))
    _write_array(handle, array)


def _write_part(generation: Path, forward: Path, start: int, end: int, temporaries: dict[str, Path]) -> None:
    marks_path = forward.parent / MARKS
    marks = None
    if marks_path.exists() and marks_path.stat().st_size >= 2 * end:
        marks = np.memmap(marks_path, dtype=np.uint16, mode="r", shape=(end,))
    total = sum(int(np.count_nonzero(chunk)) for _, chunk in _chunks(forward, start, end))
    codes, offsets = [], [np.zeros(1, np.int64)]
    written = 0
    with open(temporaries["pos"], "wb") as out, open(temporaries["marks"], "wb") as marks_out:
        for handle, dtype in ((out, np.uint32), (marks_out, np.uint16)):
            np.lib.format.write_array_header_1_0(handle, {"descr": np.dtype(dtype).str, "fortran_order": False,
                                                          "shape": (total,)})
        for bucket in range(1 << BUCKET_BITS):
            keys = _bucket_keys(forward, start, end, bucket)
            if not len(keys):
                continue
            keys.sort()
            bucket_codes = (keys >> np.uint64(32)).astype(np.uint32)
            places = keys.astype(np.uint32)  # the low 32 bits: positions
            _write_array(out, places)
            _write_array(marks_out, marks[places] if marks is not None else np.full(len(places), ANY_MARK, np.uint16))
            heads = np.flatnonzero(np.diff(bucket_codes)) + 1
            first = np.concatenate(([0], heads))
            codes.append(bucket_codes[first])
            offsets.append(np.append(first[1:], len(keys)).astype(np.int64) + written)
            written += len(keys)
        for handle in (out, marks_out):
            handle.flush()
            os.fsync(handle.fileno())
    del marks
    arrays = {"codes": np.concatenate(codes) if codes else np.zeros(0, np.uint32),
              "offsets": np.concatenate(offsets)}
    for kind in ("codes", "offsets"):
        with open(temporaries[kind], "wb") as handle:
            _save(handle, arrays[kind])
            handle.flush()
            os.fsync(handle.fileno())
    for kind in _ARRAYS:  # .pos last: a part exists once its .pos file does
        os.replace(temporaries[kind], generation / _name(start, end, kind))


def _chunks(forward: Path, start: int, end: int):
    """(position of the first entry, uint32 entries) of forward[start:end], _CHUNK at a time."""
    with open(forward, "rb") as handle:
        for a in range(start, end, _CHUNK):
            count = min(_CHUNK, end - a)
            handle.seek(4 * a)
            yield a, np.fromfile(handle, dtype=np.uint32, count=count)


def _bucket_keys(forward: Path, start: int, end: int, bucket: int) -> np.ndarray:
    """hash << 32 | position for the non-zero hashes whose top bits are `bucket`."""
    shift = np.uint32(32 - BUCKET_BITS)
    parts = []
    for a, chunk in _chunks(forward, start, end):
        at = np.flatnonzero((chunk >> shift) == bucket)
        at = at[chunk[at] != 0]
        keys = chunk[at].astype(np.uint64) << np.uint64(32)
        keys |= (at + a).astype(np.uint64)
        parts.append(keys)
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


def add_part(generation: Path, forward: Path, end: int) -> None:
    """After an update committed forward[:end]: a part for every range of it no part covers
    (what the update appended, and what an update killed before its part left), or, past
    MAX_PARTS, one part for the whole file in place of the others."""
    ranges = part_ranges(generation)
    missing = uncovered(ranges, end)
    if not missing:
        return
    if len(covering(ranges, end)) + len(missing) <= MAX_PARTS:
        for start, stop in missing:
            write_part(generation, forward, start, stop)
        return
    write_part(generation, forward, 0, end)
    for old in ranges:
        if old != (0, end):
            for kind in reversed(_ARRAYS):  # .pos first: the part stops existing at once
                (generation / _name(*old, kind)).unlink(missing_ok=True)


class _Part:
    """One part: the hashes and offsets memory-mapped read-only (worker processes share them),
    the positions (and their marks) read from the files when asked (positional reads, not memory
    maps: pages a query touched do not stay in the server's resident memory)."""

    def __init__(self, generation: Path, start: int, end: int):
        self.start, self.end = start, end
        self.codes = np.load(generation / _name(start, end, "codes"), mmap_mode="r")
        self.offsets = np.load(generation / _name(start, end, "offsets"), mmap_mode="r")
        self._file, self._base = _array_file(generation / _name(start, end, "pos"))
        marks = generation / _name(start, end, "marks")
        self._marks, self._marks_base = _array_file(marks) if marks.exists() else (None, 0)

    def _slot(self, code: int) -> int:
        i = int(np.searchsorted(self.codes, code))
        return i if i < len(self.codes) and self.codes[i] == code else -1

    def count(self, code: int) -> int:
        i = self._slot(code)
        return int(self.offsets[i + 1] - self.offsets[i]) if i >= 0 else 0

    def of(self, code: int, mark: int | None = None) -> np.ndarray:
        """The positions of `code`; with `mark`, only those of that accented form."""
        i = self._slot(code)
        if i < 0:
            return np.zeros(0, dtype=np.uint32)
        first, last = int(self.offsets[i]), int(self.offsets[i + 1])
        places = read_u32(self._file, self._base + 4 * first, last - first)
        if mark is None or self._marks is None:
            return places
        return places[of_form(read_u16(self._marks, self._marks_base + 2 * first, last - first), mark)]


def _array_file(path: Path):
    """An open .npy file and where its array's bytes begin."""
    header = np.load(path, mmap_mode="r")
    base = header.offset
    del header
    return open(path, "rb"), base


def of_form(marks: np.ndarray, mark: int) -> np.ndarray:
    """bool per place: its mark code is `mark`, or was not recorded."""
    return (marks == mark) | (marks == ANY_MARK)


def read_u32(handle, byte_offset: int, count: int) -> np.ndarray:
    """`count` uint32 from a file at `byte_offset` (thread-safe: a positional read)."""
    data = os.pread(handle.fileno(), 4 * count, byte_offset)
    return np.frombuffer(data, dtype=np.uint32, count=len(data) // 4)


def read_u16(handle, byte_offset: int, count: int) -> np.ndarray:
    data = os.pread(handle.fileno(), 2 * count, byte_offset)
    return np.frombuffer(data, dtype=np.uint16, count=len(data) // 2)


class Positions:
    """Sorted positions of a hash in a forward file of `length` entries, from the parts that
    tile it and a direct scan of what they leave uncovered; optionally only those of one
    accented form (`mark`, checked against the marks file beside the forward file)."""

    def __init__(self, generation: Path, forward, length: int, marks=None):
        self.forward = forward  # the forward file, open for reading
        self.marks = marks  # the marks file, open for reading, or None (every form matches)
        self.parts: list[_Part] = []
        for start, end in covering(part_ranges(generation), length):
            try:
                self.parts.append(_Part(generation, start, end))
            except (OSError, ValueError):  # folded away meanwhile: its range is scanned
                continue
        # ranges no part covers, in order
        self.gaps = uncovered([(part.start, part.end) for part in self.parts], length)

    def _scan(self, code: int, a: int, b: int, mark: int | None = None) -> np.ndarray:
        places = np.flatnonzero(read_u32(self.forward, 4 * a, b - a) == code)
        if mark is not None and self.marks is not None and len(places):
            marks = read_u16(self.marks, 2 * a, b - a)
            places = places[places < len(marks)]
            places = places[of_form(marks[places], mark)]
        return places + a

    def count(self, code: int) -> int:
        """How many positions `code` has (gaps counted by scanning them)."""
        return sum(p.count(code) for p in self.parts) + sum(len(self._scan(code, a, b)) for a, b in self.gaps)

    def of(self, code: int, mark: int | None = None) -> np.ndarray:
        """Every position of `code` (of its accented form `mark`, when given), ascending, as int64."""
        pieces = [(p.start, p.of(code, mark)) for p in self.parts]
        pieces += [(a, self._scan(code, a, b, mark)) for a, b in self.gaps]
        pieces = [piece for _, piece in sorted(pieces, key=lambda x: x[0]) if len(piece)]
        if not pieces:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(pieces).astype(np.int64)

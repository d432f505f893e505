"""The forward file of a generation and the marks file beside it.

    forward.u32  per article: its title's syllable hashes, 0, its text's hashes, 0 (uint32, native
                 order; analysis.forward_hash of each folded syllable)
    marks.u16    entry for entry beside it: analysis.mark_code of each syllable (uint16)

Each document's start and syllable counts are the `fwd`, `fwd_title` and `fwd_text` columns.
"""
from __future__ import annotations

import os
from array import array
from pathlib import Path

import numpy as np

from ..analysis import ANY_MARK, FOLDED_PREFIX, UNMARKED, PreAnalyzed, forward_hash, mark_code
from ..errors import VnsearchError
from ..lru import BoundedLRU, nbytes
from ..text import fold_accents
from .codec import unreadable
from .container import FORWARD, MARKS
from .positions import Positions, of_form, read_u16, read_u32

# Where the syllables of a phrase or proximity query occur, found over the whole file (the costly
# case: common syllables, many candidates), kept for the requests that ask again: the same query
# paged, filtered or charted, in this server process. About 13 bytes a place of a pair.
OCCURRENCES_BYTES = 64 << 20

_SEPARATOR = array("I", [0])
_NO_MARK = array("H", [UNMARKED])


class ForwardFile:
    """The generation's forward file and its marks, appended to under the container lock. A
    tail left by an interrupted run is never referenced (offsets live in the committed index)
    and is cut off; a marks file shorter than the forward file is padded with ANY_MARK, so it
    stays aligned."""

    def __init__(self, generation: Path):
        self.handle = open(generation / FORWARD, "ab")
        size = self.handle.tell()
        if size % 4:
            self.handle.truncate(size - size % 4)
            self.handle.seek(0, os.SEEK_END)
        self.offset = self.handle.tell() // 4
        self.started_at = self.offset
        self.marks = open(generation / MARKS, "ab")
        entries = self.marks.tell() // 2
        if entries > self.offset or self.marks.tell() % 2:
            self.marks.truncate(2 * min(entries, self.offset))
            self.marks.seek(0, os.SEEK_END)
            entries = self.marks.tell() // 2
        for at in range(entries, self.offset, 1 << 20):
            (array("H", [ANY_MARK]) * min(1 << 20, self.offset - at)).tofile(self.marks)

    def add(self, title: PreAnalyzed, text: PreAnalyzed) -> tuple[int, int, int]:
        """Append one article's hashes and marks; (its start, its title's and its text's
        syllable counts)."""
        start = self.offset
        for part in (title.forward, _SEPARATOR, text.forward, _SEPARATOR):
            part.tofile(self.handle)
        for part in (title.marks, _NO_MARK, text.marks, _NO_MARK):
            part.tofile(self.marks)
        self.offset += len(title.forward) + len(text.forward) + 2
        return start, len(title.forward), len(text.forward)

    def close(self) -> None:
        for handle in (self.handle, self.marks):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()

    def abandon(self) -> None:
        """After a failed run: cut both files back to where it began (what it appended is
        referenced by no commit) and close them; raises nothing, so the first error is the one told."""
        for handle, size in ((self.handle, 4 * self.started_at), (self.marks, 2 * self.started_at)):
            try:
                handle.close()  # its flush may fail again on a full disk; the file is closed all the same
            except OSError:
                pass
            try:
                os.truncate(handle.name, size)
            except OSError:
                pass


class Forward:
    """The forward file of a generation, with each document's place in it, the positions of
    each syllable hash (store/positions.py) and the marks file beside it (each place's
    accented form). Read with positional reads, not memory-mapped."""

    def __init__(self, generation: Path, starts: np.ndarray, title_lengths: np.ndarray, text_lengths: np.ndarray,
                 live: np.ndarray):
        path = generation / FORWARD
        self._generation = generation
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
        self.text_lengths = text_lengths  # int64 per docnum
        self.ends = starts + title_lengths + text_lengths + 2  # title, 0, text, 0
        self._live = live
        self._kept = BoundedLRU(OCCURRENCES_BYTES, cost=nbytes)

    def _docs(self, at: np.ndarray) -> np.ndarray:
        """The docnum of each position: of the article starting last at or before it (the
        caller checks the position is not past that article's end)."""
        slot = np.searchsorted(self._sorted_starts, at, side="right") - 1
        return self._sorted_docs[np.maximum(slot, 0)]

    def phrase(self, field: str, syllables: list[tuple[str, int | None]], candidates: np.ndarray,
               memo: dict | None = None) -> np.ndarray:
        try:
            return self._phrase(field, syllables, candidates, memo)
        except VnsearchError:
            raise
        except Exception as error:  # noqa: BLE001 - a damaged forward or positions file
            raise unreadable(self._generation, error) from None

    def _phrase(self, field: str, syllables: list[tuple[str, int | None]], candidates: np.ndarray,
                memo: dict | None = None) -> np.ndarray:
        """bool per docnum: the syllables occur in this order in `field`, in one of the
        `candidates` (bool per docnum). Each syllable is (folded term, mark code): the mark code
        asks for that accented form, None for any. The occurrences are found once and kept in
        `memo` (a request's: title and text share them), with the candidates they were limited
        to (none when the candidates are many); a later call whose candidates lie inside those
        reuses them. Those found over the whole file are also kept for later requests
        (OCCURRENCES_BYTES)."""
        size = len(self.starts)
        mask = np.zeros(size, dtype=bool)
        if not size or not self.length:
            return mask
        codes = tuple(forward_hash(folded) for folded, _ in syllables)
        key = ("occurrences", codes)
        kept = memo.get(key) if memo is not None else None
        if kept is not None and kept[1] is not None and (candidates & ~kept[1]).any():
            kept = None
        if kept is None and (shared := self._kept.get(key)) is not None:
            kept = (shared, None)
        if kept is not None:
            found = kept[0]
        else:
            within = candidates if candidates.sum() * 4 < size else None
            found = self._occurrences(codes, within)
            if memo is not None:
                memo[key] = (found, within)
            if within is None:
                self._kept.put(key, found)
        docs, in_title, marks = found
        keep = in_title if field == "title" else ~in_title
        if self._marks is not None:
            for (_, mark), at in zip(syllables, marks):
                if mark is not None:
                    keep = keep & of_form(at, mark)
        mask[docs[keep]] = True
        return mask & candidates & self._live

    def _occurrences(self, codes: tuple[int, ...], candidates: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """(docnum, in the title?, the mark code of each syllable) of each place where the
        syllable hashes `codes` occur in order, whatever their accented forms (a caller keeps
        the forms it asks for, so one pass serves the folded and the exact phrase). Starts from
        the positions of the rarest one (only those in `candidates`, when given); each other
        syllable is checked in the files themselves when few places remain, else by a merge with
        its own positions."""
        counts = [self.positions.count(c) for c in codes]
        anchor = min(range(len(codes)), key=counts.__getitem__)
        hits, anchor_marks = self.positions.with_marks(codes[anchor])
        if len(hits) and candidates is not None:  # few candidates: drop the other hits now
            kept = self._within(hits, candidates)
            hits, anchor_marks = hits[kept], anchor_marks[kept]
        marks: dict[int, np.ndarray] = {anchor: anchor_marks}
        for i, code in enumerate(codes):
            if i == anchor or not len(hits):
                continue
            want = hits + (i - anchor)
            inside = (want >= 0) & (want < self.length)
            hits, want = hits[inside], want[inside]
            marks = {k: m[inside] for k, m in marks.items()}
            if len(hits) <= 16 and len(hits) * 64 < counts[i]:  # a few reads of 4 bytes
                found = [self._mark_at(int(w), code) for w in want]
                at = np.array([m is not None for m in found], dtype=bool)
                hits, marks = hits[at], {k: m[at] for k, m in marks.items()}
                marks[i] = np.array([m for m in found if m is not None], dtype=np.uint16)
            else:
                other, other_marks = self.positions.with_marks(code)
                if not len(other):
                    hits, marks = hits[:0], {k: m[:0] for k, m in marks.items()}
                    break
                j = np.minimum(np.searchsorted(other, want), len(other) - 1)
                at = other[j] == want
                hits, marks = hits[at], {k: m[at] for k, m in marks.items()}
                marks[i] = other_marks[j[at]]
        docs = self._docs(hits)
        # Past an article's end lies a gap: what a merge dropped with deleted documents.
        inside = (hits >= self.starts[docs]) & (hits < self.ends[docs])
        hits, docs = hits[inside], docs[inside]
        in_title = hits < self.starts[docs] + self.title_lengths[docs]
        empty = np.zeros(len(hits), dtype=np.uint16)
        return docs, in_title, [marks[k][inside] if k in marks else empty for k in range(len(codes))]

    def _mark_at(self, place: int, code: int) -> int | None:
        """The mark code at `place` if `code` is there (ANY_MARK without a marks file), else None."""
        found = read_u32(self._file, 4 * place, 1)
        if len(found) != 1 or found[0] != code:
            return None
        if self._marks is None:
            return ANY_MARK
        mark = read_u16(self._marks, 2 * place, 1)
        return int(mark[0]) if len(mark) == 1 else ANY_MARK

    def _within(self, hits: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Where, in the ascending positions `hits`, those inside a candidate document (bool per
        docnum) are, ascending.
        Documents occupy disjoint ranges of the file, so with fewer candidates than hits each
        candidate's range is looked up among the hits (two binary searches per candidate),
        rather than each hit's document among all documents."""
        docs = np.flatnonzero(candidates)
        if len(docs) * 4 >= len(hits):
            owner = self._docs(hits)
            return np.flatnonzero(candidates[owner] & (hits >= self.starts[owner]) & (hits < self.ends[owner]))
        starts = self.starts[docs]
        order = np.argsort(starts, kind="stable")
        low = np.searchsorted(hits, starts[order])
        high = np.searchsorted(hits, self.ends[docs][order])
        return _ranges(low, high)

    def near(self, field: str, syllables: list[tuple[str, int | None]], slop: int, candidates: np.ndarray,
             memo: dict | None = None) -> np.ndarray:
        """bool per docnum: in `field` of one of the `candidates`, one window holds every syllable
        (as many times as listed), in any order, with at most `slop` other syllables among them.
        Occurrences shared by title and text through `memo`, and kept for later requests, as for phrases."""
        try:
            size = len(self.starts)
            mask = np.zeros(size, dtype=bool)
            if not size or not self.length:
                return mask
            few = candidates.sum() * 4 < size
            key = ("near-occurrences", tuple(syllables), slop)
            found = None if few else (memo or {}).get(key) or self._kept.get(key)
            if found is None:
                found = self._near_occurrences(syllables, slop, candidates if few else None)
                if not few:
                    self._kept.put(key, found)
            if not few and memo is not None:
                memo[key] = found
            docs, in_title = found
            mask[docs[in_title if field == "title" else ~in_title]] = True
            return mask & self._live
        except VnsearchError:
            raise
        except Exception as error:  # noqa: BLE001 - a damaged forward or positions file
            raise unreadable(self._generation, error) from None

    def _near_occurrences(self, syllables: list[tuple[str, int | None]], slop: int, candidates: np.ndarray | None
                          ) -> tuple[np.ndarray, np.ndarray]:
        """(docnum, in the title?) of each window start where the syllables occur near each other.
        A shortest window begins at an occurrence of one of them: for each occurrence `s` and each
        distinct syllable needed `c` times, the c-th of its positions from `s` on must lie within
        s + len(syllables) - 1 + slop, and inside the field (title or text) where `s` lies."""
        wanted: dict[tuple[str, int | None], int] = {}
        for syllable in syllables:
            wanted[syllable] = wanted.get(syllable, 0) + 1
        lists = []
        for (folded, mark), times in wanted.items():
            places = self.positions.of(forward_hash(folded), mark if self._marks is not None else None)
            if len(places) and candidates is not None:
                docs = self._docs(places)
                places = places[candidates[docs] & (places >= self.starts[docs]) & (places < self.ends[docs])]
            if len(places) < times:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
            lists.append((places, times))
        starts = np.unique(np.concatenate([places for places, _ in lists]))
        docs = self._docs(starts)
        inside = (starts >= self.starts[docs]) & (starts < self.ends[docs])
        starts, docs = starts[inside], docs[inside]
        title_end = self.starts[docs] + self.title_lengths[docs]  # the separator after the title
        in_title = starts < title_end
        field_end = np.where(in_title, title_end, self.ends[docs] - 1)  # the separator ending the field
        reach = np.minimum(starts + len(syllables) - 1 + slop, field_end - 1)
        ok = np.ones(len(starts), dtype=bool)
        for places, times in lists:
            at = np.searchsorted(places, starts) + times - 1
            present = at < len(places)
            ok &= present & (places[np.minimum(at, len(places) - 1)] <= reach)
        return docs[ok], in_title[ok]

    def counts(self, syllable: tuple[str, int | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(docnums ascending, times in the title, times in the text) of one syllable (folded term,
        mark code or None for any form), from its positions alone: no posting list is decoded."""
        try:
            folded, mark = syllable
            places = self.positions.of(forward_hash(folded), mark if self._marks is not None else None)
            docs = self._docs(places)
            inside = (places >= self.starts[docs]) & (places < self.ends[docs])
            places, docs = places[inside], docs[inside]
            if not len(docs):
                return docs, np.zeros(0), np.zeros(0)
            in_title = places < self.starts[docs] + self.title_lengths[docs]
            # Positions ascend, so each document's are one run: counted per run, without a sort.
            heads = np.concatenate(([0], np.flatnonzero(docs[1:] != docs[:-1]) + 1))
            times = np.diff(np.append(heads, len(docs)))
            title = np.add.reduceat(in_title.astype(np.int64), heads)
            found = docs[heads]
            order = np.argsort(found, kind="stable")
            return found[order], title[order].astype(np.float64), (times - title)[order].astype(np.float64)
        except VnsearchError:
            raise
        except Exception as error:  # noqa: BLE001 - a damaged forward or positions file
            raise unreadable(self._generation, error) from None

    def _is_at(self, place: int, code: int, mark: int | None) -> bool:
        found = read_u32(self._file, 4 * place, 1)
        if len(found) != 1 or found[0] != code:
            return False
        return mark is None or bool(of_form(read_u16(self._marks, 2 * place, 1), mark).all())


def _ranges(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The indices low[0]..high[0]-1, low[1]..high[1]-1, … in one array (empty ranges skipped)."""
    lengths = np.maximum(high - low, 0)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(low - (ends - lengths), lengths)


def phrase_syllables(words: list[str]) -> list[tuple[str, int | None]]:
    """(folded term, mark code) of each word of a phrase: a folded term matches any accented
    form (None), an exact term only its own (by its mark code)."""
    return [(w, None) if w.startswith(FOLDED_PREFIX) else (FOLDED_PREFIX + fold_accents(w), mark_code(w))
            for w in words]


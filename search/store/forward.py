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

from ..analysis import ANY_MARK, UNMARKED, PreAnalyzed

FORWARD = "forward.u32"
MARKS = "marks.u16"
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
        self.handle.close()
        self.marks.close()

"""Republished copies on the read side: each group of copies (found at indexing, search/copies.py;
stored per docnum, store/copies.py) collapses to its best hit, which tells how many copies of the
selection it stands for; `group=<id>` selects one group.

A group's id is its representative's article id: the member with the smallest id, so the same
source rebuilt gives the same ids, and a URL `group=<id>` keeps working as long as that article
does (any member's id opens its group too). An article without copies is its own group.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .store.reader import GenerationReader


@dataclass
class Copies:
    """Per docnum of one generation version: its group (the representative's docnum) and whether
    that group has more than one live member."""

    groups: np.ndarray  # int64 per docnum
    grouped: np.ndarray  # bool per docnum

    @classmethod
    def load(cls, reader: GenerationReader) -> "Copies":
        groups = np.asarray(reader.groups)
        sizes = np.bincount(groups[reader.live], minlength=reader.size)
        return cls(groups, sizes[groups] > 1)

    @property
    def any(self) -> bool:
        return bool(self.grouped.any())

    def group_mask(self, docnum: int) -> np.ndarray:
        """Bool per docnum: the members of `docnum`'s group."""
        return self.groups == self.groups[docnum]

    def count(self, selected: np.ndarray) -> int:
        """How many hits the selection lists when collapsed: one per group."""
        alone = int((selected & ~self.grouped).sum())
        return alone + len(np.unique(self.groups[selected & self.grouped]))

    def first_of_groups(self, ordered: np.ndarray) -> np.ndarray:
        """The places in `ordered` (a selection in its order) of the docnums kept when each group
        collapses to its best hit: its first in the order."""
        ordered = np.asarray(ordered, dtype=np.int64)
        in_group = self.grouped[ordered]
        keep = ~in_group
        places = np.flatnonzero(in_group)
        _, first = np.unique(self.groups[ordered[places]], return_index=True)
        keep[places[first]] = True
        return np.flatnonzero(keep)

    def copies_in(self, docnums: list[int], selected: np.ndarray) -> list[int]:
        """For each docnum, the members of its group in the selection (1 when alone)."""
        out = []
        for docnum in docnums:
            if self.grouped[docnum]:
                out.append(int((selected & self.group_mask(docnum)).sum()))
            else:
                out.append(1)
        return out

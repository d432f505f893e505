"""A snapshot of one generation, as of one version of it: its reader, facet columns, vocabulary
and engine, loaded together and used together by every request that starts while it is current."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .collapse import Copies
from .engine import Engine
from .facets import Columns
from .query import DEFAULT_WEIGHTS, Weights
from .store.reader import GenerationReader
from .vocabulary import Vocabulary


@dataclass
class Snapshot:
    key: tuple  # (generation, version): what it is a snapshot of
    generation: Path
    store: GenerationReader
    columns: Columns
    vocabulary: Vocabulary
    engine: Engine
    copies: Copies

    @classmethod
    def open(cls, index_dir: str | os.PathLike, weights: Weights = DEFAULT_WEIGHTS) -> "Snapshot":
        """Of the container's current generation (IndexMissing, IndexOutdated when none is usable)."""
        store = GenerationReader(index_dir)
        return cls((store.generation, store.version), store.generation, store, Columns.load(store),
                   Vocabulary.of_store(store), Engine(store, weights), Copies.load(store))

    def group_members(self, docnum: int):
        """The docnums of a document's republished copies, itself included, ascending; deleted
        documents left out (from the copies' groups, collapse.Copies)."""
        return np.flatnonzero(self.copies.group_mask(docnum) & self.store.live)

    def is_current(self, generation: Path) -> bool:
        """Still of `generation` (the current one), at its latest version."""
        try:
            return self.generation == generation and self.store.is_current_version()
        except OSError:
            return False

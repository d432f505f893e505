"""The groups of republished copies of a generation (search/copies.py finds them), one set of
files per Whoosh version of it (a version's docnums are its own: an update's commit may merge
segments and renumber them):

    copies-<v>.groups.npy    int64 per docnum: the docnum of its group's representative (the member
                             with the smallest article id); its own docnum when it has no copies
    copies-<v>.minhash.npy   uint32 (rows, NUM_PERM): the MinHash signature of each live document
    copies-<v>.starts.npy    int64 per row of minhash: that document's start in the forward file,
                             which no commit changes: how the next update finds the signatures
                             it can keep

Written after the Whoosh commit (groups last, each file by an atomic rename); a reader of
version v uses `copies-<v>.groups.npy` memory-mapped, and until it exists (an update between its
commit and its groups) sees every article alone.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .arrays import read_arrays
from .container import FORWARD

PREFIX = "copies-"
_FILE = re.compile(r"copies-(\d+)\.(groups|minhash|starts)\.npy")


def copies_file(version: int, kind: str) -> str:
    return f"{PREFIX}{version}.{kind}.npy"


@dataclass
class DocumentTable:
    """What grouping needs of one version of a generation, by docnum."""

    version: int
    live: np.ndarray  # bool
    starts: np.ndarray  # int64: where the document starts in the forward file
    title_lengths: np.ndarray  # int64
    text_lengths: np.ndarray  # int64
    article_id: Callable[[int], str]
    forward: np.ndarray  # the forward file, memory-mapped

    @property
    def size(self) -> int:
        return len(self.live)

    def text_hashes(self, docnum: int) -> np.ndarray:
        """The forward hashes of a document's text (title, 0, text, 0)."""
        start = int(self.starts[docnum] + self.title_lengths[docnum] + 1)
        return self.forward[start:start + int(self.text_lengths[docnum])]


def document_table(generation: Path, ix) -> DocumentTable:
    """The documents of the Whoosh index `ix` (just committed) of a generation."""
    reader = ix.reader()
    size = reader.doc_count_all()
    written = read_arrays(generation)
    if written is not None and written.toc == ix.latest_generation() and written.size == size:
        live = written.live  # the arrays of this version (written just before): no column read per document

        def ints(name: str) -> np.ndarray:
            return written.ints[name]
    else:
        live = np.ones(size, dtype=bool)
        if reader.has_deletions():
            live = np.fromiter((not reader.is_deleted(d) for d in range(size)), dtype=bool, count=size)

        def ints(name: str) -> np.ndarray:
            values = reader.column_reader(name)
            return np.fromiter((values[d] for d in range(size)), np.int64, size)

    path = generation / FORWARD
    forward = (np.memmap(path, dtype=np.uint32, mode="r") if path.stat().st_size
               else np.zeros(0, dtype=np.uint32))
    searcher = ix.searcher()
    return DocumentTable(ix.latest_generation(), live, ints("fwd"), ints("fwd_title"), ints("fwd_text"),
                         lambda docnum: searcher.stored_fields(docnum)["id"], forward)


def _save(generation: Path, name: str, values: np.ndarray) -> None:
    temporary = generation / (name + ".tmp")
    with open(temporary, "wb") as handle:
        np.save(handle, values, allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, generation / name)


def write_copies(generation: Path, version: int, groups: np.ndarray, starts: np.ndarray,
                 signatures: np.ndarray) -> None:
    """The files of `version`, groups last; those of other versions removed."""
    _save(generation, copies_file(version, "minhash"), np.ascontiguousarray(signatures, dtype=np.uint32))
    _save(generation, copies_file(version, "starts"), np.asarray(starts, dtype=np.int64))
    _save(generation, copies_file(version, "groups"), np.asarray(groups, dtype=np.int64))
    for entry in generation.iterdir():
        match = _FILE.fullmatch(entry.name)
        if match and int(match.group(1)) != version:
            entry.unlink(missing_ok=True)


def stored_signatures(generation: Path) -> tuple[np.ndarray, np.ndarray]:
    """(forward starts, signatures) of the newest version that has both, or empty arrays."""
    versions = sorted({int(m.group(1)) for p in generation.iterdir() if (m := _FILE.fullmatch(p.name))},
                      reverse=True)
    for version in versions:
        try:
            starts = np.load(generation / copies_file(version, "starts"))
            signatures = np.load(generation / copies_file(version, "minhash"))
        except (OSError, ValueError):
            continue
        if signatures.ndim == 2 and len(starts) == len(signatures):
            return starts, signatures
    return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.uint32)


def read_groups(generation: Path, version: int, size: int) -> np.ndarray | None:
    """The groups of `version`, memory-mapped; None while they are not written (or do not fit)."""
    path = generation / copies_file(version, "groups")
    try:
        groups = np.load(path, mmap_mode="r") if size else np.load(path)  # numpy maps no empty array
    except FileNotFoundError:
        return None
    if groups.shape != (size,) or groups.dtype != np.int64:
        raise ValueError(f"{path.name}: {groups.shape} {groups.dtype}, expected ({size},) int64")
    return groups


def groups_written(generation: Path, version: int) -> bool:
    return (generation / copies_file(version, "groups")).exists()

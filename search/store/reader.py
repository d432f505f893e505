"""One generation, opened for reading: what the query layer may ask of the index files, and
nothing of how they are laid out.

    size, live                 documents (deleted ones included) and which are not deleted
    arrays                     per-document arrays (store/arrays.py): facet and date codes, starts
    postings(field, term)      (docnums, term frequencies) of a term over every segment
    doc_frequency, doc_frequencies(field)
    vocabulary_tables()        the vocabulary as written by rebuild and update (store/tables.py)
    stored(docnum), by_id(id), docnum_of(id), all_stored()
    forward                    the forward file, its marks and positions (phrases, exact lengths)
    groups                     republished copies: per docnum its group's representative docnum
    group_of(docnum)
"""
from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import VnsearchError
from .arrays import DocArrays, compute, read_arrays
from .container import current_generation
from .forward import Forward
from .codec import doc_frequencies, leaf_postings, open_generation, unreadable
from .copies import groups_written, read_groups
from .manifest import verify
from .tables import StringTable, read_tables


def _reading(method):
    """A read of the generation's files: what a damaged file raises becomes IndexDamaged."""
    @functools.wraps(method)
    def read(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except VnsearchError:
            raise
        except Exception as error:  # noqa: BLE001
            raise unreadable(self.generation, error) from None
    return read


_THREAD = threading.local()  # (reader, searcher) a thread reads stored fields with


class GenerationReader:
    """The current generation of a container at the time it was opened; safe to share between
    threads (stored fields are read through one Whoosh searcher per thread)."""

    def __init__(self, index_dir: str | os.PathLike):
        generation = current_generation(Path(index_dir))
        verify(generation, index_dir)  # sizes, small files' checksums, the format version
        ix = open_generation(generation, index_dir)
        self.generation: Path = generation
        try:
            self._open(ix)
        except VnsearchError:
            raise
        except Exception as error:  # noqa: BLE001 - what Whoosh or numpy raise on a damaged file
            raise unreadable(generation, error) from None

    def _open(self, ix) -> None:
        generation = self.generation
        self._ix = ix
        self.version = ix.latest_generation()
        self._reader = ix.reader()  # kept open as long as this object lives
        self.size: int = self._reader.doc_count_all()
        self.arrays: DocArrays = self._arrays()
        self.live = self.arrays.live
        self._read_lock = threading.Lock()  # Whoosh's posting files are read with seek + read
        ints = self.arrays.ints
        self.forward = Forward(generation, ints["fwd"], ints["fwd_title"], ints["fwd_text"], self.live)
        groups = read_groups(generation, self.version, self.size)
        # Until an update writes this version's groups (just after its commit), every article is alone.
        self._groups_pending = groups is None
        self.groups: np.ndarray = np.arange(self.size, dtype=np.int64) if groups is None else groups

    def _arrays(self) -> DocArrays:
        """The generation's arrays, memory-mapped; when they describe another version (an update
        killed between its commit and its arrays), computed here from what they still hold."""
        written = read_arrays(self.generation)
        if written is not None and written.toc == self.version and written.size == self.size:
            return written
        return compute(self._reader, self.version, written)

    def is_current_version(self) -> bool:
        """False when the generation was updated since it was opened (or cannot be read)."""
        try:
            if self._ix.latest_generation() != self.version:
                return False
        except OSError:
            return False
        return not (self._groups_pending and groups_written(self.generation, self.version))

    def group_of(self, docnum: int) -> int:
        """The docnum of the representative of a document's group of republished copies (its own
        when it has none)."""
        return int(self.groups[docnum])

    @_reading
    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums as int64, term frequencies as float64) of a term, ascending docnums."""
        ids_parts, tf_parts = [], []
        btext = term.encode("utf-8")
        with self._read_lock:
            for leaf, base in self._reader.leaf_readers():
                if (field, btext) not in leaf:
                    continue
                ids, tf = leaf_postings(leaf.postings(field, btext))
                ids_parts.append(ids + base)
                tf_parts.append(tf)
        if not ids_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return np.concatenate(ids_parts), np.concatenate(tf_parts)

    @_reading
    def doc_frequency(self, field: str, term: str) -> int:
        with self._read_lock:  # the same term files as postings(), read with seek + read
            return self._reader.doc_frequency(field, term.encode("utf-8"))

    def doc_count(self) -> int:
        """Documents not deleted."""
        return self._reader.doc_count()

    @_reading
    def vocabulary_tables(self) -> dict[str, StringTable] | None:
        """The vocabulary's tables (store/tables.py), memory-mapped; None when the generation has
        none of this version."""
        found = read_tables(self.generation)
        return found[1] if found is not None and found[0] == self.version else None

    @_reading
    def doc_frequencies(self, field: str) -> Iterator[tuple[bytes, int]]:
        """(term, document frequency) of every term of a field, folded terms left out."""
        return doc_frequencies(self._reader, field)  # summed here, before it returns

    def _searcher(self):
        """This thread's Whoosh searcher of this generation; the one it held for another is closed."""
        held = getattr(_THREAD, "held", None)
        if held is None or held[0] is not self:
            if held is not None:
                held[1].close()
            held = _THREAD.held = (self, self._ix.searcher())
        return held[1]

    @_reading
    def stored(self, docnum: int) -> dict:
        return self._searcher().stored_fields(docnum)

    @_reading
    def docnum_of(self, article_id: str) -> int | None:
        """The docnum of a live article, None when no article has that id."""
        return self._searcher().document_number(id=article_id)

    @_reading
    def by_id(self, article_id: str) -> dict | None:
        return self._searcher().document(id=article_id)

    @_reading
    def docnum_of(self, article_id: str) -> int | None:
        """The document number of a live article, None when no article has that id."""
        ids, _ = self.postings("id", article_id)
        live = [int(d) for d in ids if self.live[d]]
        return live[0] if live else None

    def all_stored(self) -> Iterator[dict]:
        try:
            yield from self._searcher().all_stored_fields()
        except Exception as error:  # noqa: BLE001
            raise unreadable(self.generation, error) from None

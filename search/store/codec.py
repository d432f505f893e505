"""Whoosh's files of a generation: creating and opening them, reading whole posting lists and
document frequencies. Reads Whoosh's private structures of the whoosh3 version pinned in
pyproject.toml (checked once, in search/store/__init__.py)."""
from __future__ import annotations

import os
from pathlib import Path

import struct
from collections import defaultdict
from typing import Iterator

import numpy as np
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import FileStorage

from ..errors import IndexDamaged, IndexMissing
from ..analysis import FOLDED_PREFIX
from .container import current_generation
from .manifest import REMEDY
from .schema import make_schema

# Whoosh reads a compound segment file through a private in-memory copy per searcher, and we
# keep one searcher per server thread: separate files are memory-mapped and shared instead.
COMPOUND_SEGMENTS = False
INDEX_NAME = whoosh_index._DEF_INDEX_NAME  # "MAIN": the prefix of every file Whoosh writes


def create_index(generation: Path):
    return whoosh_index.create_in(generation, make_schema())


def open_for_update(generation: Path):
    """The Whoosh index of a generation, to update it."""
    try:
        return whoosh_index.open_dir(generation)
    except whoosh_index.EmptyIndexError:
        raise IndexMissing(f"Chỉ mục tại {generation.parent} bị hỏng hoặc chưa hoàn chỉnh; hãy chạy: "
                           "python manage.py rebuild") from None
    except Exception as error:  # noqa: BLE001
        raise unreadable(generation, error) from None


def remove_orphan_segments(generation: Path) -> None:
    """Remove the segment files of a generation that its latest TOC does not list (written by
    an update killed or out of disk before its commit landed), and older TOCs, as Whoosh does
    after each commit. Only under the container lock: no writer is under way then."""
    storage = FileStorage(str(generation))
    try:
        toc = whoosh_index.TOC.read(storage, INDEX_NAME)
    except (OSError, whoosh_index.EmptyIndexError):
        return  # no readable TOC: nothing is known to be unused
    whoosh_index.clean_files(storage, INDEX_NAME, toc.generation, toc.segments)


def open_whoosh(index_dir: str | os.PathLike):
    """(current generation, its Whoosh index), to read it."""
    generation = current_generation(Path(index_dir))
    return generation, open_generation(generation, index_dir)


def open_generation(generation: Path, index_dir: str | os.PathLike):
    """A generation's Whoosh index, to read it; IndexDamaged when its TOC or a segment it lists
    cannot be read (Whoosh raises anything from EOFError to KeyError then)."""
    try:
        # Read with seek and read, not mmap: index pages a query touched stay in the OS cache,
        # not in the server's resident memory.
        ix = FileStorage(str(generation), supports_mmap=False).open_index()
        ix.latest_generation()
        return ix
    except whoosh_index.EmptyIndexError:
        raise IndexMissing(f"Chỉ mục tại {index_dir} bị hỏng hoặc chưa hoàn chỉnh; hãy chạy: python manage.py rebuild") from None
    except Exception as error:  # noqa: BLE001 - any failure to read Whoosh's files is damage
        raise unreadable(generation, error) from None


def unreadable(generation: Path, error: BaseException) -> IndexDamaged:
    """The damage an exception reading a generation's files stands for, in one line."""
    name = getattr(error, "filename", None)
    what = f"{generation.name}/{Path(name).name}" if name else generation.name
    return IndexDamaged(f"Chỉ mục hỏng: {what} (không đọc được: {type(error).__name__}); {REMEDY}")


def leaf_postings(m) -> tuple[np.ndarray, np.ndarray]:
    """All (docnums, term frequencies) of one segment's posting list: block by block from the
    W3LeafMatcher, posting by posting when Whoosh wrapped it to skip deleted documents."""
    ids, weights = [], []
    if isinstance(m, W3LeafMatcher):
        while True:
            m._read_data()
            deltas, block_weights = m._data[0], m._data[1]
            block_ids = np.asarray(deltas, dtype=np.int64)
            ids.append(block_ids if m._byteids else np.cumsum(block_ids))
            if block_weights is None or isinstance(block_weights, float):
                weights.append(np.full(len(block_ids), 1.0 if block_weights is None else block_weights))
            else:
                weights.append(np.asarray(block_weights, dtype=np.float64))
            if m._lastblock:
                break
            m._goto(m._nextoffset)
        return np.concatenate(ids), np.concatenate(weights)
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)


_FOLDED = FOLDED_PREFIX.encode("utf-8")
# A W3TermInfo row is "!BfIBBfII" + postings: flags, weight, then the document frequency at byte 5.
_RAW_DF = struct.Struct("!I")
_RAW_DF_AT = 5


def doc_frequencies(reader, fieldname: str) -> Iterator[tuple[bytes, int]]:
    """(term, document frequency) of every syllable and compound of a field (folded terms
    skipped), summed over segments. Each segment's term file is read on its own: Whoosh's
    merged iteration over segments costs 20× more (73 s instead of 3 s at 107k articles)."""
    totals: dict[bytes, int] = defaultdict(int)
    for leaf, _ in reader.leaf_readers():
        for term, df in _leaf_frequencies(leaf, fieldname):
            totals[term] += df
    return iter(totals.items())


def segment_frequencies(reader, fieldname: str, segment_ids: set[str]) -> Iterator[tuple[bytes, int]]:
    """doc_frequencies over the segments of `segment_ids` only (those an update wrote)."""
    totals: dict[bytes, int] = defaultdict(int)
    for leaf, _ in reader.leaf_readers():
        if leaf.segment().segment_id() in segment_ids:
            for term, df in _leaf_frequencies(leaf, fieldname):
                totals[term] += df
    return iter(totals.items())


def _leaf_frequencies(leaf, fieldname: str) -> Iterator[tuple[bytes, int]]:
    terms = leaf._terms
    table = terms._tindex
    prefix = terms._keycoder(fieldname, b"")  # the field's number: its terms are contiguous
    get, unpack = table.dbfile.get, _RAW_DF.unpack
    skip = prefix + _FOLDED
    for keypos, keylen, datapos, _ in table.ranges_from(prefix):
        key = get(keypos, keylen)
        if not key.startswith(prefix):
            break
        if not key.startswith(skip):
            yield key[len(prefix):], unpack(get(datapos + _RAW_DF_AT, 4))[0]

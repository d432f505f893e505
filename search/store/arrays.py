"""Per-document arrays of a generation, written by rebuild and update and memory-mapped read-only
at open: worker processes share one copy through the page cache, and opening reads no Whoosh
column document by document.

    arrays.json                   {"arrays": 1, "toc": N, "size": docs, "forward_end": entries,
                                   "segments": [[segment id, first docnum, docs], ...]}: the Whoosh
                                   TOC generation the arrays describe; replaced last, atomically
    arrays-<N>.live.npy           bool per docnum: not deleted
    arrays-<N>.fwd.npy            int64 per docnum: where it starts in the forward file
    arrays-<N>.fwd_title.npy      int32 per docnum: its title's syllable count
    arrays-<N>.fwd_text.npy       int32 per docnum: its text's
    arrays-<N>.has_author.npy     bool per docnum: its byline names an author (`stats`; read from
                                  the stored article of each new segment)
    arrays-<N>.<column>.npy       int32 per docnum: the code of its value (of the main one for a
                                  list) in the column's value table; 0 = no value. Columns: every
                                  facet (articles.FACET_FIELDS) and `datekey`
    arrays-<N>.<facet>.flat.npy   multi-valued facets (MULTI_VALUED): every code of every document,
    arrays-<N>.<facet>.owner.npy  and whose it is (int32 docnum, ascending); one entry of code 0
                                  for a document without a value
    arrays-<N>.values.json        {column: ["", value, ...]}: each column's value table, sorted

Arrays of segments an update kept are copied from the previous arrays (their rows do not move);
only the segments it wrote are read from Whoosh. A reader that finds arrays of another TOC (an
update killed between its commit and its arrays) computes them in memory the same way.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..articles import FACET_FIELDS, MULTI_VALUED
from .container import ARRAY_PREFIX, ARRAYS, fsync_dir
from .schema import LIST_SEPARATOR

VALUES = "values.json"
DATE_COLUMN = "datekey"
CODED = (*FACET_FIELDS, DATE_COLUMN)  # columns stored as codes into a value table
INTS = {"fwd": np.int64, "fwd_title": np.int32, "fwd_text": np.int32, "has_author": np.bool_}
STORED_INTS = ("has_author",)  # from the stored article, not a column: its byline names an author
_FILE = re.compile(r"arrays-(\d+)\..+")


@dataclass
class DocArrays:
    """What a reader needs of every document, as arrays (read-only memory maps once written)."""

    toc: int | None
    segments: list[tuple[str, int, int]]  # (segment id, first docnum, documents)
    live: np.ndarray
    ints: dict[str, np.ndarray]  # INTS
    codes: dict[str, np.ndarray]  # CODED -> int32 per docnum
    values: dict[str, list[str]]  # CODED -> value table, "" first
    flat: dict[str, np.ndarray] = field(default_factory=dict)  # MULTI_VALUED facet -> codes
    owner: dict[str, np.ndarray] = field(default_factory=dict)  # MULTI_VALUED facet -> docnums

    @property
    def size(self) -> int:
        return len(self.live)

    @property
    def forward_end(self) -> int:
        """Entries of the forward file the documents reference."""
        if not self.size:
            return 0
        ends = self.ints["fwd"] + self.ints["fwd_title"] + self.ints["fwd_text"] + 2
        return int(ends.max())


# ---- computed from Whoosh ------------------------------------------------------------


@dataclass
class _Piece:
    """One segment's rows: codes into its own value tables."""

    size: int
    live: np.ndarray
    ints: dict[str, np.ndarray]
    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]
    flat: dict[str, np.ndarray]
    owner: dict[str, np.ndarray]  # local docnums


def _strings(leaf, name: str, size: int) -> list[str]:
    if not leaf.has_column(name):
        return [""] * size
    column = leaf.column_reader(name)
    out = []
    for docnum in range(size):
        value = column[docnum]
        out.append(value.decode("utf-8") if isinstance(value, bytes) else (value or ""))
    return out


def _ints(leaf, name: str, size: int, dtype) -> np.ndarray:
    if not leaf.has_column(name):
        return np.zeros(size, dtype=dtype)
    column = leaf.column_reader(name)
    return np.fromiter((column[d] for d in range(size)), dtype, size)


def _live(leaf, size: int) -> np.ndarray:
    """bool per document of a segment: not deleted (its deletions as the reader's commit has them)."""
    live = np.ones(size, dtype=bool)
    deleted = list(leaf.segment().deleted_docs()) if leaf.has_deletions() else []
    if deleted:
        live[np.array(deleted, dtype=np.int64)] = False
    return live


def _read_piece(leaf) -> _Piece:
    """A segment's rows read from its Whoosh columns, document by document."""
    size = leaf.doc_count_all()
    live = _live(leaf, size)
    ints = {name: _ints(leaf, name, size, dtype) for name, dtype in INTS.items() if name not in STORED_INTS}
    ints["has_author"] = np.fromiter((bool(leaf.stored_fields(d)["meta"].get("author")) for d in range(size)),
                                     np.bool_, size)
    codes, values, flat, owner = {}, {}, {}, {}
    for name in CODED:
        column = _strings(leaf, name, size)
        if name in MULTI_VALUED:
            split = [[v for v in value.split(LIST_SEPARATOR) if v] if value else [] for value in column]
            table = [""] + sorted({v for parts in split for v in parts})
            index = {v: i for i, v in enumerate(table)}
            per_doc = [[index[v] for v in parts] or [0] for parts in split]
            lengths = np.fromiter(map(len, per_doc), dtype=np.int64, count=size)
            flat[name] = np.fromiter((c for doc in per_doc for c in doc), np.int32, int(lengths.sum()))
            owner[name] = np.repeat(np.arange(size, dtype=np.int32), lengths)
            codes[name] = np.fromiter((doc[0] for doc in per_doc), np.int32, size)
        else:
            table = [""] + sorted({v for v in column if v})
            index = {v: i for i, v in enumerate(table)}
            codes[name] = np.fromiter((index[v] for v in column), np.int32, size)
        values[name] = table
    return _Piece(size, live, ints, codes, values, flat, owner)


def _kept_piece(previous: DocArrays, base: int, size: int, leaf) -> _Piece:
    """A segment the previous arrays hold: its rows copied, its deletions read anew."""
    rows = slice(base, base + size)
    live = _live(leaf, size)
    flat, owner = {}, {}
    for name in previous.flat:
        at = np.searchsorted(previous.owner[name], [base, base + size])
        flat[name] = np.asarray(previous.flat[name][at[0]:at[1]])
        owner[name] = np.asarray(previous.owner[name][at[0]:at[1]]) - base
    return _Piece(size, live, {n: np.asarray(a[rows]) for n, a in previous.ints.items()},
                  {n: np.asarray(a[rows]) for n, a in previous.codes.items()}, previous.values, flat, owner)


def compute(reader, toc: int | None, previous: DocArrays | None = None) -> DocArrays:
    """The arrays of a Whoosh reader's documents; segments `previous` holds are copied from it."""
    known = {sid: (base, size) for sid, base, size in previous.segments} if previous is not None else {}
    pieces, segments = [], []
    for leaf, base in reader.leaf_readers():
        segment = leaf.segment()
        sid = segment.segment_id() if segment is not None else ""
        size = leaf.doc_count_all()
        old = known.get(sid)
        if old is not None and old[1] == size:
            pieces.append(_kept_piece(previous, old[0], size, leaf))
        else:
            pieces.append(_read_piece(leaf))
        segments.append((sid, base, size))
    return _joined(toc, segments, pieces)


def _joined(toc: int | None, segments: list, pieces: list[_Piece]) -> DocArrays:
    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

    live = cat([p.live for p in pieces], np.bool_)
    ints = {name: cat([p.ints[name] for p in pieces], dtype) for name, dtype in INTS.items()}
    codes, values, flat, owner = {}, {}, {}, {}
    for name in CODED:
        table = [""] + sorted({v for p in pieces for v in p.values[name] if v})
        index = {v: i for i, v in enumerate(table)}
        remaps = [np.array([index[v] for v in p.values[name]], dtype=np.int32) for p in pieces]
        codes[name] = cat([remap[p.codes[name]] for remap, p in zip(remaps, pieces)], np.int32)
        values[name] = table
        if name in MULTI_VALUED:
            flat[name] = cat([remap[p.flat[name]] for remap, p in zip(remaps, pieces)], np.int32)
            bases = np.cumsum([0] + [p.size for p in pieces])
            owner[name] = cat([p.owner[name] + b for p, b in zip(pieces, bases)], np.int32)
    return DocArrays(toc, segments, live, ints, codes, values, flat, owner)


# ---- on disk -------------------------------------------------------------------------


def _files(arrays: DocArrays) -> dict[str, np.ndarray]:
    files = {"live": arrays.live, **arrays.ints, **arrays.codes}
    for name in arrays.flat:
        files[f"{name}.flat"] = arrays.flat[name]
        files[f"{name}.owner"] = arrays.owner[name]
    return files


def _stem(toc: int | None) -> str:
    return f"{ARRAY_PREFIX}{toc if toc is not None else 0}"


def _replace(generation: Path, name: str, write) -> None:
    temporary = generation / (name + ".tmp")
    with open(temporary, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, generation / name)


def write_arrays(generation: Path, arrays: DocArrays) -> None:
    """Every array file of `arrays`, then arrays.json naming them (atomically, last)."""
    stem = _stem(arrays.toc)
    for name, array in _files(arrays).items():
        _replace(generation, f"{stem}.{name}.npy", lambda handle, a=array: np.save(handle, np.ascontiguousarray(a)))
    _replace(generation, f"{stem}.{VALUES}",
             lambda handle: handle.write(json.dumps(arrays.values, ensure_ascii=False).encode("utf-8")))
    fsync_dir(generation)
    pointer = {"arrays": 1, "toc": arrays.toc, "size": arrays.size, "forward_end": arrays.forward_end,
               "segments": [list(s) for s in arrays.segments]}
    _replace(generation, ARRAYS, lambda handle: handle.write(json.dumps(pointer).encode("utf-8")))
    fsync_dir(generation)


def arrays_toc(generation: Path) -> int | None:
    """The TOC generation the written arrays describe; None when there are none."""
    try:
        return json.loads((generation / ARRAYS).read_text(encoding="utf-8"))["toc"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_arrays(generation: Path) -> DocArrays | None:
    """The written arrays, memory-mapped read-only; None when there are none (IndexDamaged-worthy
    errors are raised as they come: the caller turns them into IndexDamaged)."""
    try:
        pointer = json.loads((generation / ARRAYS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    stem = _stem(pointer["toc"])
    values = json.loads((generation / f"{stem}.{VALUES}").read_text(encoding="utf-8"))

    def load(name: str) -> np.ndarray:
        return np.load(generation / f"{stem}.{name}.npy", mmap_mode="r", allow_pickle=False)

    arrays = DocArrays(pointer["toc"], [tuple(s) for s in pointer["segments"]], load("live"),
                       {name: load(name) for name in INTS}, {name: load(name) for name in CODED},
                       {name: values[name] for name in CODED},
                       {name: load(f"{name}.flat") for name in MULTI_VALUED if name in CODED},
                       {name: load(f"{name}.owner") for name in MULTI_VALUED if name in CODED})
    if any(len(a) != pointer["size"] for a in (arrays.live, *arrays.ints.values(), *arrays.codes.values())):
        raise ValueError(f"{ARRAYS}: arrays of another size")
    return arrays


def remove_unused_arrays(generation: Path) -> None:
    """Array files of TOCs other than the one arrays.json names (an open reader's memory maps
    stay valid: the pages live until it unmaps them)."""
    toc = arrays_toc(generation)
    keep = _stem(toc) if toc is not None else None
    for entry in generation.iterdir():
        if _FILE.fullmatch(entry.name) and not entry.name.startswith(f"{keep}.") and not entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)

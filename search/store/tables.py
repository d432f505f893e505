"""Sorted string tables of a generation, memory-mapped read-only: the vocabulary's lookups
(vocabulary.py) without a Python dict per worker process.

    vocabulary-<N>.<table>.keys.npy     uint8: the UTF-8 keys, ascending, one after another
    vocabulary-<N>.<table>.koff.npy     int64: where each key starts, then the end
    vocabulary-<N>.<table>.head.npy     S16: each key's first 16 bytes (searched in C)
    vocabulary-<N>.<table>.vals.npy     uint8: the UTF-8 text value of each key, one after another
    vocabulary-<N>.<table>.voff.npy     int64: where each value starts, then the end

<N> is the TOC generation of the rebuild or update that wrote the table; vocabulary.json
({"vocabulary": 2, "toc": N, "tables": {name: file stem or null}}) names the TOC the tables
describe together and each table's files (an update rewrites only the small ones).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from .container import VOCABULARY, VOCABULARY_PREFIX, fsync_dir

HEAD = 16
_FILE = re.compile(r"vocabulary-(\d+)\..+")


def _stem(toc: int | None) -> str:
    return f"{VOCABULARY_PREFIX}{toc if toc is not None else 0}"


class StringTable:
    """Keys → a text and/or an integer, looked up by binary search over memory-mapped arrays."""

    def __init__(self, keys: np.ndarray, koff: np.ndarray, head: np.ndarray, vals: np.ndarray | None,
                 voff: np.ndarray | None, ints: np.ndarray | None):
        self._keys, self._koff, self._head = keys, koff, head
        self._vals, self._voff, self.ints = vals, voff, ints

    def __len__(self) -> int:
        return len(self._head)

    def key(self, i: int) -> bytes:
        return self._keys[self._koff[i]:self._koff[i + 1]].tobytes()

    def find(self, key: str) -> int:
        """The key's row, or -1."""
        raw = key.encode("utf-8", "surrogatepass")
        if b"\0" in raw:
            return -1
        head = raw[:HEAD]
        lo = int(np.searchsorted(self._head, head, "left"))
        hi = int(np.searchsorted(self._head, head, "right"))
        if len(raw) < HEAD:
            return lo if lo < hi and self.key(lo) == raw else -1
        while lo < hi:  # keys sharing the first HEAD bytes: rare, few
            mid = (lo + hi) // 2
            found = self.key(mid)
            if found == raw:
                return mid
            if found < raw:
                lo = mid + 1
            else:
                hi = mid
        return -1

    def prefixed(self, prefix: str) -> range:
        """The rows of the keys that begin with `prefix` (keys are in byte order, so they are
        one run)."""
        raw = prefix.encode("utf-8", "surrogatepass")
        head = raw[:HEAD]
        lo = int(np.searchsorted(self._head, head, "left"))
        hi = int(np.searchsorted(self._head, head + b"\xff" * (HEAD - len(head)), "right")) if head else len(self)
        if len(raw) > HEAD:  # a long prefix: the run of its first HEAD bytes, narrowed by the keys
            rows = [i for i in range(lo, hi) if self.key(i).startswith(raw)]
            return range(rows[0], rows[-1] + 1) if rows else range(0)
        return range(lo, hi)

    def text(self, i: int) -> str:
        return self._vals[self._voff[i]:self._voff[i + 1]].tobytes().decode("utf-8", "surrogatepass")

    def items(self):
        """(key, row) of every key, in order."""
        for i in range(len(self)):
            yield self.key(i).decode("utf-8", "surrogatepass"), i


def _save(generation: Path, name: str, array: np.ndarray) -> None:
    temporary = generation / (name + ".tmp")
    with open(temporary, "wb") as handle:
        np.save(handle, np.ascontiguousarray(array))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, generation / name)


def _blob(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    return np.frombuffer(b"".join(parts), dtype=np.uint8), offsets


def write_tables(generation: Path, toc: int | None, tables: dict[str, tuple[list[str], list[str]]],
                 kept: dict[str, str | None] | None = None) -> None:
    """Each table's keys (sorted here) with their texts as vocabulary-<toc>.<name>.*, then
    vocabulary.json naming the file stem of every table: those written now and those `kept`
    from before ({name: stem}, None for none)."""
    stem = _stem(toc)
    for name, (keys, texts) in tables.items():
        raw = [k.encode("utf-8", "surrogatepass") for k in keys]
        order = sorted(range(len(raw)), key=raw.__getitem__)
        raw = [raw[i] for i in order]
        blob, offsets = _blob(raw)
        _save(generation, f"{stem}.{name}.keys.npy", blob)
        _save(generation, f"{stem}.{name}.koff.npy", offsets)
        _save(generation, f"{stem}.{name}.head.npy", np.array([r[:HEAD] for r in raw], dtype=f"S{HEAD}"))
        vals, voff = _blob([texts[i].encode("utf-8", "surrogatepass") for i in order])
        _save(generation, f"{stem}.{name}.vals.npy", vals)
        _save(generation, f"{stem}.{name}.voff.npy", voff)
    fsync_dir(generation)
    stems = {**(kept or {}), **{name: f"{stem}.{name}" for name in tables}}
    temporary = generation / (VOCABULARY + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({"vocabulary": 2, "toc": toc, "tables": stems}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, generation / VOCABULARY)
    fsync_dir(generation)


def _pointer(generation: Path) -> dict | None:
    try:
        return json.loads((generation / VOCABULARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def tables_toc(generation: Path) -> int | None:
    pointer = _pointer(generation)
    return pointer.get("toc") if isinstance(pointer, dict) else None


def read_tables(generation: Path) -> tuple[int | None, dict[str, StringTable | None], dict[str, str | None]] | None:
    """(the TOC generation they describe, the tables by name (None: none), their file stems),
    memory-mapped; None when there are none."""
    if not (generation / VOCABULARY).exists():
        return None
    pointer = json.loads((generation / VOCABULARY).read_text(encoding="utf-8"))

    def load(stem: str, part: str) -> np.ndarray:
        return np.load(generation / f"{stem}.{part}.npy", mmap_mode="r", allow_pickle=False)

    tables = {}
    for name, stem in pointer["tables"].items():
        tables[name] = None if stem is None else StringTable(
            load(stem, "keys"), load(stem, "koff"), load(stem, "head"), load(stem, "vals"), load(stem, "voff"), None)
    return pointer["toc"], tables, pointer["tables"]


def remove_unused_tables(generation: Path) -> None:
    """Table files vocabulary.json does not name."""
    pointer = _pointer(generation)
    stems = {stem for stem in (pointer or {}).get("tables", {}).values() if stem}
    for entry in generation.iterdir():
        if (_FILE.fullmatch(entry.name) and not entry.name.endswith(".tmp")
                and entry.name.rsplit(".", 2)[0] not in stems):
            entry.unlink(missing_ok=True)


# The vocabulary's texts: every spelling that folds to the key with its documents, a line each
# ("spelling syllables<TAB>documents"), in the order the terms were first met.
def encode_spellings(spellings: list[tuple[str, int]]) -> str:
    return "\n".join(f"{spelling}\t{df}" for spelling, df in spellings)


def decode_spellings(text: str) -> list[tuple[str, int]]:
    out = []
    for line in text.split("\n"):
        spelling, df = line.rsplit("\t", 1)
        out.append((spelling, int(df)))
    return out

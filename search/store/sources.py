"""The manifest of the source a generation was built from, so `update` reads only the files that
changed and a no-op update reads no stored document.

    sources.json  {"sources": 1, "toc": N, "files": {relative path: {"size", "mtime_ns", "sha256",
                                                                    "articles": [[id, content key], ...]}}}

`update` writes the manifest it is about to commit as sources-pending.json (with the TOC generation
its commit will have) before the commit, and moves it over sources.json after. Killed in
between, the next update adopts it if that commit landed and drops it otherwise.

Every source file rebuild or update read is listed (one that gave no article with an empty
list), with its size and mtime as seen before it was read, the SHA-256 of its bytes, and the id
and content key of each article it produced (republished copies and skipped items aside).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .container import SOURCES, fsync_dir

_CHUNK = 1 << 20


@dataclass
class SourceFile:
    size: int
    mtime_ns: int
    sha256: str
    articles: list[list[str]] = field(default_factory=list)  # [id, content key] per article indexed

    def to_dict(self) -> dict:
        return {"size": self.size, "mtime_ns": self.mtime_ns, "sha256": self.sha256, "articles": self.articles}


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def seen(path: Path) -> SourceFile:
    """A source file's size, mtime and hash, before it is read."""
    st = path.stat()
    return SourceFile(st.st_size, st.st_mtime_ns, file_hash(path))


def is_unchanged(path: Path, known: SourceFile | None) -> tuple[bool, SourceFile | None]:
    """(unchanged, its entry with a new mtime when only that changed). Another size: changed; the
    same size and mtime: unchanged; the same size, another mtime: compared by content hash."""
    if known is None:
        return False, None
    st = path.stat()
    if st.st_size != known.size:
        return False, None
    if st.st_mtime_ns == known.mtime_ns:
        return True, None
    if file_hash(path) == known.sha256:
        return True, SourceFile(known.size, st.st_mtime_ns, known.sha256, known.articles)
    return False, None


def read_sources(generation: Path) -> dict[str, SourceFile] | None:
    """The source manifest, None when the generation has none (or it is unreadable)."""
    try:
        document = json.loads((generation / SOURCES).read_text(encoding="utf-8"))
        return {name: SourceFile(e["size"], e["mtime_ns"], e["sha256"], e["articles"])
                for name, e in document["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


PENDING = "sources-pending.json"


def settle_pending(generation: Path, toc: int | None) -> None:
    """A pending source manifest left by a killed update: kept if its commit (TOC `toc`) landed."""
    pending = generation / PENDING
    if not pending.exists():
        return
    try:
        landed = json.loads(pending.read_text(encoding="utf-8"))["toc"] == toc
    except (OSError, ValueError, KeyError, TypeError):
        landed = False
    if landed:
        os.replace(pending, generation / SOURCES)
        fsync_dir(generation)
    else:
        pending.unlink(missing_ok=True)


def commit_pending(generation: Path) -> None:
    """After the commit: the pending source manifest becomes the one."""
    os.replace(generation / PENDING, generation / SOURCES)
    fsync_dir(generation)


def write_sources(generation: Path, files: dict[str, SourceFile], toc: int | None, pending: bool = False) -> None:
    """Replace the source manifest (or the pending one) atomically; `toc`: the Whoosh TOC
    generation it describes."""
    name = PENDING if pending else SOURCES
    temporary = generation / (name + ".tmp")
    document = {"sources": 1, "toc": toc, "files": {name: files[name].to_dict() for name in sorted(files)}}
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, generation / name)
    fsync_dir(generation)

"""The index container: generations, the `current` pointer, the lock and each generation's report.

    DIR/lock            one lock file shared by rebuild and update (flock: dies with its holder)
    DIR/gen-<stamp>/    one generation (its files: docs/ARCHITECTURE.md, "A generation on disk")
    DIR/current         symlink to the generation in use, flipped with an atomic rename
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import IndexBusy, IndexMissing

CURRENT = "current"
LOCK = "lock"
REPORT = "report.json"
FORMAT = "format.json"  # store/format.py
FORWARD = "forward.u32"  # store/forward.py
MARKS = "marks.u16"  # store/forward.py
ARRAYS = "arrays.json"  # store/arrays.py: names the per-document arrays (arrays-<toc>.*)
ARRAY_PREFIX = "arrays-"
SOURCES = "sources.json"  # store/sources.py
VOCABULARY = "vocabulary.json"  # store/tables.py: names the vocabulary's tables (vocabulary-<toc>.*)
VOCABULARY_PREFIX = "vocabulary-"
GENERATION_PREFIX = "gen-"
HELD_LOCKS: set[int] = set()  # descriptors of container locks this process holds


@contextmanager
def container_lock(index_dir: Path) -> Iterator[None]:
    """Hold the container's one lock; a second rebuild or update is refused at once."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy("Chỉ mục đang được dựng lại hoặc cập nhật bởi một tiến trình khác; hãy thử lại sau.") from None
        HELD_LOCKS.add(handle.fileno())
        try:
            yield
        finally:
            HELD_LOCKS.discard(handle.fileno())
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_generation(index_dir: Path) -> Path:
    """The generation in use, or IndexMissing with advice."""
    pointer = Path(index_dir) / CURRENT
    try:
        target = os.readlink(pointer)
    except OSError:
        raise IndexMissing(
            f"Chưa có chỉ mục tại {index_dir}; hãy chạy: python manage.py rebuild") from None
    return Path(index_dir) / target


def new_generation(index_dir: Path) -> Path:
    """A fresh, empty generation folder (not current until `flip`)."""
    generation = index_dir / f"{GENERATION_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"
    generation.mkdir()
    return generation


def previous_generation(index_dir: Path) -> str | None:
    return os.readlink(index_dir / CURRENT) if (index_dir / CURRENT).is_symlink() else None


def flip(index_dir: Path, generation: Path) -> None:
    """Make `generation` the current one, atomically."""
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(generation.name, temporary)
    os.replace(temporary, index_dir / CURRENT)
    fsync_dir(index_dir)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_generations(index_dir: Path, keep: set[str]) -> None:
    """Generations other than the current and the previous one (a reader may still hold it)."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(GENERATION_PREFIX) and entry.name not in keep and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def write_report(generation: Path, report: dict) -> None:
    temporary = generation / (REPORT + ".tmp")
    try:
        temporary.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, generation / REPORT)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# What a write left behind when it was killed or failed: our temporary files (report.json.tmp,
# .positions-….tmp), Whoosh's pool folder (MAIN.tmp) and TOC being written (_MAIN_<n>.toc.<time>),
# the bulk writer's scratch folders (.postings-…).
_TEMPORARY = re.compile(r".*\.tmp|\.postings-.*|_MAIN_\d+\.toc\..+")


def remove_temporaries(folder: Path) -> None:
    """Remove the temporary files and folders of writes that did not finish (call it under the
    container lock: then no write is under way)."""
    for entry in folder.iterdir():
        if _TEMPORARY.fullmatch(entry.name):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def remove_half_built(index_dir: Path) -> None:
    """Remove generations a killed or failed rebuild left: all but the current one and the
    newest complete one (with its report) before it, which a reader may still hold. Call it under
    the container lock. Also removes `current`'s temporary links (.current.<pid>)."""
    current = previous_generation(index_dir)
    keep = {current} if current else set()
    older = sorted((entry.name for entry in index_dir.iterdir()
                    if entry.name.startswith(GENERATION_PREFIX) and entry.name != current
                    and (current is None or entry.name < current) and (entry / REPORT).exists()),
                   reverse=True)
    keep.update(older[:1])
    remove_stale_generations(index_dir, keep)
    for entry in index_dir.glob(f".{CURRENT}.*"):
        if entry.is_symlink() or entry.is_file():
            entry.unlink(missing_ok=True)


def read_report(generation: Path) -> dict:
    try:
        return json.loads((generation / REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}

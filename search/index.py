"""The on-disk index: Whoosh schema, the generation container, rebuild and update.

Layout of an index container (SPEC §6):

    DIR/lock            one lock file shared by rebuild and update (flock: dies with its holder)
    DIR/gen-<stamp>/    a complete Whoosh index plus report.json (skipped items, build figures)
    DIR/current         symlink to the generation in use, flipped with an atomic rename
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from whoosh import index as whoosh_index
from whoosh.fields import ID, STORED, TEXT, Schema

from .analysis import VietnameseAnalyzer
from .articles import FACET_FIELDS, Article, RebuildSummary, Skipped
from .errors import IndexBusy, IndexMissing, SourceMissing
from .ingest import content_key, iter_articles
from .ingest.readers import source_files

CURRENT = "current"
LOCK = "lock"
REPORT = "report.json"
GENERATION_PREFIX = "gen-"
# Missing values are stored as "" in the facet columns and shown as "Không rõ".
META_FIELDS = ("published", "year", "province", "province_2025", "category", "source", "author", "url")

Progress = Callable[[int, int], None]  # (files done, files in all)


def make_schema() -> Schema:
    analyzer = VietnameseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True),
        text=TEXT(analyzer=analyzer, stored=True, phrase=True),
        meta=STORED(),
        datekey=ID(sortable=True),
        origin=ID(stored=True),  # source file, for update
        fingerprint=ID(stored=True),  # file size and mtime, for update
        content=ID(stored=True),  # content_key, for de-duplication
        **{name: ID(sortable=True) for name in FACET_FIELDS},
    )


def article_document(article: Article, origin: str, fingerprint: str, key: str) -> dict:
    doc = {
        "id": article.id, "title": article.title, "text": article.text,
        "meta": {name: getattr(article, name) for name in META_FIELDS},
        "datekey": article.published or "",
        "origin": origin, "fingerprint": fingerprint, "content": key,
    }
    for name in FACET_FIELDS:
        value = getattr(article, name)
        doc[name] = "" if value is None else str(value)
    return doc


def article_from_stored(stored: dict) -> Article:
    return Article(id=stored["id"], title=stored["title"], text=stored["text"], **stored["meta"])


def _fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


@contextmanager
def container_lock(index_dir: Path) -> Iterator[None]:
    """Hold the container's one lock; a second rebuild or update is refused at once."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy("Chỉ mục đang được dựng lại hoặc cập nhật bởi một tiến trình khác; hãy thử lại sau.") from None
        try:
            yield
        finally:
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


def _flip(index_dir: Path, generation: Path) -> None:
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(generation.name, temporary)
    os.replace(temporary, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_generations(index_dir: Path, keep: set[str]) -> None:
    """Generations other than the current and the previous one (a reader may still hold it)."""
    for entry in index_dir.iterdir():
        if entry.name.startswith(GENERATION_PREFIX) and entry.name not in keep and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def write_report(generation: Path, summary: RebuildSummary, source_dir: Path) -> None:
    report = {
        "source": str(source_dir),
        "indexed": summary.indexed,
        "duplicates": summary.duplicates,
        "seconds": round(summary.seconds, 3),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "skipped": [s.to_dict() for s in summary.skipped],
    }
    temporary = generation / (REPORT + ".tmp")
    temporary.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, generation / REPORT)


def read_report(generation: Path) -> dict:
    try:
        return json.loads((generation / REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _add_articles(writer, source_dir: Path, files: list[Path], summary: RebuildSummary,
                  seen: set[str], progress: Progress | None) -> None:
    last_file = None
    done = 0
    for path, item in iter_articles(source_dir, files):
        if path != last_file:
            if last_file is not None:
                done += 1
                if progress:
                    progress(done, len(files))
            last_file = path
        if isinstance(item, Skipped):
            summary.skipped.append(item)
            continue
        key = content_key(item)
        if key in seen:
            summary.duplicates += 1
            continue
        seen.add(key)
        writer.update_document(**article_document(
            item, path.relative_to(source_dir).as_posix(), _fingerprint(path), key))
        summary.indexed += 1
    if progress and files:
        progress(len(files), len(files))


def rebuild(source_dir: str | os.PathLike, index_dir: str | os.PathLike, procs: int = 1,
            progress: Progress | None = None) -> RebuildSummary:
    """Index every article below `source_dir` into a fresh generation and swap it in."""
    source_dir, index_dir = Path(source_dir), Path(index_dir)
    if not source_dir.is_dir():
        raise SourceMissing(f"Không tìm thấy thư mục bài viết: {source_dir}")
    started = time.perf_counter()
    with container_lock(index_dir):
        generation = index_dir / f"{GENERATION_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"
        generation.mkdir()
        ix = whoosh_index.create_in(generation, make_schema())
        writer = ix.writer(limitmb=256, procs=max(1, procs), multisegment=procs > 1)
        summary = RebuildSummary(indexed=0, generation=generation.name)
        try:
            _add_articles(writer, source_dir, source_files(source_dir), summary, set(), progress)
            writer.commit()
        except BaseException:
            writer.cancel()
            shutil.rmtree(generation, ignore_errors=True)
            raise
        summary.seconds = time.perf_counter() - started
        write_report(generation, summary, source_dir)
        _fsync_dir(generation)
        previous = os.readlink(index_dir / CURRENT) if (index_dir / CURRENT).is_symlink() else None
        _flip(index_dir, generation)
        _remove_stale_generations(index_dir, {generation.name, previous or ""})
    return summary


def update(source_dir: str | os.PathLike, index_dir: str | os.PathLike,
           progress: Progress | None = None) -> RebuildSummary:
    """Add new and changed files' articles, remove those of deleted files: work in proportion
    to the change. The current generation is updated in place by one Whoosh commit."""
    source_dir, index_dir = Path(source_dir), Path(index_dir)
    if not source_dir.is_dir():
        raise SourceMissing(f"Không tìm thấy thư mục bài viết: {source_dir}")
    started = time.perf_counter()
    with container_lock(index_dir):
        generation = current_generation(index_dir)
        ix = whoosh_index.open_dir(generation)
        with ix.searcher() as searcher:
            indexed: dict[str, str] = {}
            seen: set[str] = set()
            for stored in searcher.all_stored_fields():
                indexed[stored["origin"]] = stored["fingerprint"]
                seen.add(stored["content"])
        files = {p.relative_to(source_dir).as_posix(): p for p in source_files(source_dir)}
        changed = [p for rel, p in files.items() if indexed.get(rel) != _fingerprint(p)]
        gone = [rel for rel in indexed if rel not in files]
        summary = RebuildSummary(indexed=0, generation=generation.name)
        writer = ix.writer(limitmb=128)
        try:
            for rel in gone + [p.relative_to(source_dir).as_posix() for p in changed]:
                writer.delete_by_term("origin", rel)
            with ix.searcher() as searcher:
                for rel in gone + [p.relative_to(source_dir).as_posix() for p in changed]:
                    for stored in searcher.documents(origin=rel):
                        seen.discard(stored["content"])
            _add_articles(writer, source_dir, changed, summary, seen, progress)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        summary.removed = len(gone)
        summary.seconds = time.perf_counter() - started
        report = read_report(generation)
        skipped_elsewhere = [s for s in report.get("skipped", [])
                             if s["item"].split("#")[0] in files and files[s["item"].split("#")[0]] not in changed]
        summary.skipped = [Skipped(**s) for s in skipped_elsewhere] + summary.skipped
        total = RebuildSummary(indexed=ix.doc_count(), skipped=summary.skipped,
                               duplicates=report.get("duplicates", 0) + summary.duplicates,
                               seconds=summary.seconds)
        write_report(generation, total, source_dir)
    return summary


def open_whoosh(index_dir: str | os.PathLike):
    generation = current_generation(Path(index_dir))
    try:
        return generation, whoosh_index.open_dir(generation)
    except (OSError, whoosh_index.EmptyIndexError):
        raise IndexMissing(f"Chỉ mục tại {index_dir} bị hỏng hoặc chưa hoàn chỉnh; hãy chạy: python manage.py rebuild") from None

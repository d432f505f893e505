"""The write path: rebuild a fresh generation and swap it in, or update the current one.

Articles come from `ingest` (read, clean, metadata), are analysed (`analysis.pre_analyze`, in
worker processes when asked) and written through the store: Whoosh's segments by the bulk
postings writer, the forward file and its marks, the positions; report.json last. The layout of a
generation is in docs/ARCHITECTURE.md.
"""
from __future__ import annotations

import errno
import gc
import multiprocessing
import os
import shutil
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .analysis import pre_analyze
from .articles import Article, RebuildSummary, Skipped
from .checkpoints import checkpoint
from .errors import IndexMissing, SourceMissing, WriteFailed
from .ingest import Pending, content_key, iter_pending
from .ingest.readers import derived_title, source_files
from .store.container import (CURRENT, GENERATION_PREFIX, HELD_LOCKS, REPORT, container_lock, current_generation,
                              flip, fsync_dir, new_generation, previous_generation, read_report,
                              remove_half_built, remove_stale_generations, remove_temporaries)
from .store import container
from .store.format import write_format
from .store.manifest import verify, write_manifest
from .store.forward import FORWARD, ForwardFile
from .store.positions import add_part, write_part
from .store.postings import BulkWriter, RollingWriter
from .store.schema import BULK_FIELDS, article_document
from .store.codec import COMPOUND_SEGMENTS, create_index, open_for_update, remove_orphan_segments

__all__ = ["rebuild", "update", "prepared", "IndexProgress", "CURRENT", "GENERATION_PREFIX", "REPORT"]


@dataclass(frozen=True)
class IndexProgress:
    """How far a rebuild or an update is, told after every article."""

    files_done: int  # source files read to the end
    files_total: int
    articles: int  # articles handled so far: indexed, skipped or merged as republished copies


Progress = Callable[[IndexProgress], None]
# update analyses in worker processes when the changed files hold more than this (a pool costs
# ~0.1 s; 100 articles, ~130 KB compressed, take 2.2 s alone and 1.7 s on two cores)
UPDATE_PARALLEL_BYTES = 64 * 1024
UPDATE_PROCS = min(2, os.cpu_count() or 1)


def has_own_title(article: Article) -> bool:
    """False when the title was derived from the text: it is shown, not indexed (it would
    count the text's first words twice, at title weight)."""
    return article.title != derived_title(article.text)


def fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def write_report(generation: Path, summary: RebuildSummary, source_dir: Path) -> None:
    container.write_report(generation, {
        "source": str(source_dir),
        "indexed": summary.indexed,
        "duplicates": summary.duplicates,
        "seconds": round(summary.seconds, 3),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "skipped": [s.to_dict() for s in summary.skipped],
    })


# The causes of a failed write a user can act on, in their words; others are told as the system says.
WRITE_CAUSES = {
    errno.ENOSPC: "hết chỗ trên đĩa",
    errno.EDQUOT: "vượt hạn mức dung lượng đĩa",
    errno.EACCES: "không có quyền ghi",
    errno.EPERM: "không có quyền ghi",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.EIO: "lỗi vào/ra của đĩa",
}


def write_cause(error: OSError, index_dir: Path, folder: Path) -> str:
    """One line: why and where a write failed («hết chỗ trên đĩa khi ghi …/forward.u32»)."""
    where = Path(error.filename) if error.filename else folder
    inside = where == index_dir or index_dir in where.parents
    cause = WRITE_CAUSES.get(error.errno) or f"lỗi hệ thống ({error.strerror or error})"
    return f"{cause} khi {'ghi' if inside else 'đọc'} {where}"


def _abandon(*closers: Callable[[], None]) -> None:
    """Cancel a failed run's writer, close its files: a second failure here (the disk still full,
    a writer Whoosh closed when its commit failed) must not hide the first one."""
    for close in closers:
        try:
            close()
        except Exception:
            pass


def remove_leftovers(index_dir: Path) -> None:
    """What killed or failed runs left, under the container lock (no writer is under way): half-built
    generations, temporary files, and in the current generation segment files no commit lists."""
    remove_half_built(index_dir)
    remove_temporaries(index_dir)
    try:
        generation = current_generation(index_dir)
    except IndexMissing:
        return
    if generation.is_dir():
        remove_temporaries(generation)
        remove_orphan_segments(generation)


ANALYSIS_BATCH = 32  # articles sent to a worker at a time


def pre_analyze_pair(title: str, text: str) -> tuple:
    """The embedded store's analysis of an article's indexed title and text."""
    return pre_analyze(title), pre_analyze(text)


def _prepare(pending: Pending, analyze: Callable = pre_analyze_pair) -> tuple[Article | Skipped, str | None, tuple | None]:
    """Metadata, content key and the analysis of one article (in a worker when procs > 1)."""
    item = pending.finish()
    if isinstance(item, Skipped):
        return item, None, None
    title = item.title if has_own_title(item) else ""
    return item, content_key(item), analyze(title, item.text)


# Indexing allocates millions of short-lived objects and makes almost no reference cycles; at
# Python's default threshold (a collection every 700 allocations) the collector re-scans the
# long-lived vocabularies and caches over and over: a fifth of a rebuild's time.
INDEXING_GC_THRESHOLD = (100_000, 20, 100)


def _collect_rarely() -> None:
    """Objects alive now are not scanned again; new ones are collected rarely."""
    gc.freeze()
    gc.set_threshold(*INDEXING_GC_THRESHOLD)


@contextmanager
def _indexing_gc() -> Iterator[None]:
    """Rare collections while indexing (in this process; workers call _collect_rarely)."""
    threshold = gc.get_threshold()
    _collect_rarely()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _worker_start() -> None:
    """Worker initializer: drop the inherited copy of the container lock (the lock dies with the
    rebuild, never with a worker), collect rarely (see _indexing_gc) and leave as soon as the
    rebuild is gone."""
    _collect_rarely()
    for fd in HELD_LOCKS:
        os.close(fd)
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _prepare_batch(batch: list[Pending], analyze: Callable = pre_analyze_pair) -> list[tuple]:
    return [_prepare(pending, analyze) for pending in batch]


def prepared(source_dir: Path, files: list[Path], procs: int, analyze: Callable = pre_analyze_pair
             ) -> Iterator[tuple[Path, Article | Skipped, str | None, tuple | None]]:
    """(file, article or skipped, content key, analysis) in source order; `analyze` (a module-level
    function of the indexed title and the text) is the store's. With procs > 1 the extraction
    and pyvi run in worker processes while this process writes; a bounded number of batches
    is in flight."""
    if procs <= 1:
        for path, item in iter_pending(source_dir, files):
            yield (path, item, None, None) if isinstance(item, Skipped) else (path, *_prepare(item, analyze))
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(procs, mp_context=context, initializer=_worker_start) as pool:
        pending: deque = deque()

        def submit(batch):
            work = [item for _, item in batch if isinstance(item, Pending)]
            pending.append((batch, pool.submit(_prepare_batch, work, analyze)))

        def drain():
            batch, future = pending.popleft()
            results = iter(future.result())
            for path, item in batch:
                yield (path, item, None, None) if isinstance(item, Skipped) else (path, *next(results))

        batch: list = []
        for entry in iter_pending(source_dir, files):
            batch.append(entry)
            if len(batch) == ANALYSIS_BATCH:
                submit(batch)
                batch = []
                while len(pending) > 2 * procs:
                    yield from drain()
        if batch:
            submit(batch)
        while pending:
            yield from drain()


def _add_articles(writer, forward: ForwardFile, source_dir: Path, files: list[Path], summary: RebuildSummary,
                  seen_keys: set[str], seen_ids: set[str], progress: Progress | None, procs: int = 1,
                  written: dict[str, str] | None = None) -> None:
    """Index the articles of `files`: skipped items recorded, republished copies counted, a
    second article with an id already taken skipped with a warning (never silently replaced).
    `written`, when given, receives the id and content key of every article indexed."""
    position = {path: number for number, path in enumerate(files)}  # files before it are read
    handled, last_path, files_done = 0, None, 0
    for one in prepared(source_dir, files, procs):
        _add_prepared(writer, forward, source_dir, summary, seen_keys, seen_ids, written, *one)
        handled += 1
        if progress:
            if one[0] is not last_path:
                last_path, files_done = one[0], position[one[0]]
            progress(IndexProgress(files_done, len(files), handled))
        del one  # a huge article is let go before the next one is read
        if handled == ANALYSIS_BATCH:
            checkpoint("reading")
    if progress:
        progress(IndexProgress(len(files), len(files), handled))


def _add_prepared(writer, forward: ForwardFile, source_dir: Path, summary: RebuildSummary, seen_keys: set[str],
                  seen_ids: set[str], written: dict[str, str] | None, path: Path, item: Article | Skipped,
                  key: str | None, tokens: tuple | None) -> None:
    if isinstance(item, Skipped):
        summary.skipped.append(item)
        return
    if key in seen_keys:
        summary.duplicates += 1
        return
    origin = path.relative_to(source_dir).as_posix()
    if item.id in seen_ids:
        summary.skipped.append(Skipped(f"{origin} (id {item.id})",
                                       "trùng id với một bài viết khác đã được đánh chỉ mục"))
        return
    seen_keys.add(key)
    seen_ids.add(item.id)
    if written is not None:
        written[item.id] = key
    doc = article_document(item, origin, fingerprint(path), key, has_own_title(item))
    doc["title"], doc["text"] = tokens[0].counts, tokens[1].counts
    doc["fwd"], doc["fwd_title"], text_length = forward.add(tokens[0], tokens[1])
    doc["fwd_text"] = text_length
    writer.add_document(**doc)
    summary.indexed += 1


def rebuild(source_dir: str | os.PathLike, index_dir: str | os.PathLike, procs: int = 1,
            progress: Progress | None = None) -> RebuildSummary:
    """Index every article below `source_dir` into a fresh generation and swap it in. When a write
    fails (a full disk) the new generation is removed and WriteFailed raised: the old one serves."""
    source_dir, index_dir = Path(source_dir), Path(index_dir)
    if not source_dir.is_dir():
        raise SourceMissing(f"Không tìm thấy thư mục bài viết: {source_dir}")
    started = time.perf_counter()
    with container_lock(index_dir):
        remove_leftovers(index_dir)  # before the new generation: a full disk gets their room back
        generation = new_generation(index_dir)
        writer = forward = None
        try:
            write_format(generation)
            ix = create_index(generation)
            writer = RollingWriter(ix, BULK_FIELDS, procs=procs, limitmb=256, compound=COMPOUND_SEGMENTS)
            forward = ForwardFile(generation)
            summary = RebuildSummary(indexed=0, generation=generation.name)
            checkpoint("start")
            with _indexing_gc():
                _add_articles(writer, forward, source_dir, source_files(source_dir), summary, set(), set(),
                              progress, procs)
                forward.close()
                writer.commit(merge=False)
            writer = None  # its last segment's arrays, before the positions are built
            checkpoint("positions")
            write_part(generation, generation / FORWARD, 0, forward.offset)
            summary.seconds = time.perf_counter() - started
            write_report(generation, summary, source_dir)
            write_manifest(generation)  # last: it lists every file above
            fsync_dir(generation)
            previous = previous_generation(index_dir)
            flip(index_dir, generation)
        except BaseException as error:
            if previous_generation(index_dir) != generation.name:  # else flipped: only an fsync failed
                _abandon_generation(error, index_dir, generation, writer, forward)
        remove_stale_generations(index_dir, {generation.name, previous or ""})
    return summary


def _abandon_generation(error: BaseException, index_dir: Path, generation: Path, writer, forward) -> None:
    """A rebuild failed before its flip: its generation removed, the error raised (a failed write
    as WriteFailed: one line that says why)."""
    _abandon(*(close for close in (writer and writer.cancel, forward and forward.abandon) if close))
    shutil.rmtree(generation, ignore_errors=True)
    _abandon(lambda: remove_temporaries(generation.parent))
    if isinstance(error, OSError):
        raise WriteFailed(f"{write_cause(error, index_dir, generation)}; chỉ mục cũ vẫn được dùng") from error
    raise error


def update(source_dir: str | os.PathLike, index_dir: str | os.PathLike,
           progress: Progress | None = None) -> RebuildSummary:
    """Add new and changed files' articles, remove those of deleted files: work in proportion
    to the change. The current generation is updated in place by one Whoosh commit. A write that
    fails before the commit leaves the index as it was (WriteFailed); after it, the update stands
    and what could not be written is in the summary's warnings (a positions part is written by
    the next update)."""
    source_dir, index_dir = Path(source_dir), Path(index_dir)
    if not source_dir.is_dir():
        raise SourceMissing(f"Không tìm thấy thư mục bài viết: {source_dir}")
    started = time.perf_counter()
    with container_lock(index_dir):
        generation = current_generation(index_dir)
        verify(generation, index_dir)
        remove_leftovers(index_dir)
        ix = open_for_update(generation)
        files = {p.relative_to(source_dir).as_posix(): p for p in source_files(source_dir)}
        indexed: dict[str, str] = {}
        seen_keys: set[str] = set()
        seen_ids: set[str] = set()
        with ix.searcher() as searcher:
            stored_docs = list(searcher.all_stored_fields())
        for stored in stored_docs:
            indexed[stored["origin"]] = stored["fingerprint"]
        changed = [p for rel, p in files.items() if indexed.get(rel) != fingerprint(p)]
        gone = [rel for rel in indexed if rel not in files]
        replaced = set(gone) | {p.relative_to(source_dir).as_posix() for p in changed}
        before: dict[str, str] = {}  # id -> content key of the articles of replaced files
        for stored in stored_docs:
            if stored["origin"] not in replaced:
                seen_keys.add(stored["content"])
                seen_ids.add(stored["id"])
            else:
                before[stored["id"]] = stored["content"]
        written: dict[str, str] = {}
        summary = RebuildSummary(indexed=0, generation=generation.name)
        writer = forward = None
        try:
            # One BulkWriter, one commit: readers see the update wholly or not at all.
            writer = BulkWriter(ix, BULK_FIELDS, limitmb=128, compound=COMPOUND_SEGMENTS)
            forward = ForwardFile(generation)
            checkpoint("start")
            for rel in replaced:
                writer.delete_by_term("origin", rel)
            with _indexing_gc():
                procs = UPDATE_PROCS if sum(p.stat().st_size for p in changed) > UPDATE_PARALLEL_BYTES else 1
                _add_articles(writer, forward, source_dir, changed, summary, seen_keys, seen_ids, progress, procs,
                              written)
                forward.close()
                writer.commit()
        except BaseException as error:
            _abandon(*(close for close in (writer and writer.cancel, forward and forward.abandon) if close))
            _abandon(lambda: remove_temporaries(generation), lambda: remove_orphan_segments(generation))
            if isinstance(error, OSError):
                raise WriteFailed(f"{write_cause(error, index_dir, generation)}; chỉ mục vẫn như trước lần cập nhật "
                                  "này") from error
            raise
        checkpoint("positions")  # committed: what follows can fail without undoing the update
        try:
            add_part(generation, generation / FORWARD, forward.offset)
        except OSError as error:
            summary.warnings.append(f"{write_cause(error, index_dir, generation)}: chưa ghi được dữ liệu vị trí "
                                    "cho các bài mới; tìm cụm từ chậm hơn cho tới lần cập nhật sau")
        summary.added = sum(1 for id_ in written if id_ not in before)
        summary.changed = sum(1 for id_, key in written.items() if id_ in before and before[id_] != key)
        summary.removed = sum(1 for id_ in before if id_ not in written)
        summary.removed_files = len(gone)
        summary.seconds = time.perf_counter() - started
        report = read_report(generation)
        still_skipped = [Skipped(**s) for s in report.get("skipped", []) if _origin(s["item"]) not in replaced]
        total = RebuildSummary(indexed=ix.doc_count(), skipped=still_skipped + summary.skipped,
                               duplicates=report.get("duplicates", 0) + summary.duplicates,
                               seconds=summary.seconds)
        try:
            write_report(generation, total, source_dir)
        except OSError as error:
            summary.warnings.append(f"{write_cause(error, index_dir, generation)}: chưa ghi được {REPORT}; "
                                    "«stats» cho số liệu của lần trước")
        try:
            write_manifest(generation)  # the files as this update left them
        except OSError as error:
            summary.warnings.append(f"{write_cause(error, index_dir, generation)}: chưa ghi được manifest.json; "
                                    "lần mở sau sẽ báo chỉ mục cần dựng lại")
    return summary


def _origin(item: str) -> str:
    """The source file of a skipped item ("a.jsonl#L3", "a.json (id x)" → the file)."""
    return item.split("#", 1)[0].split(" (id ", 1)[0]

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
from .errors import IndexDamaged
from .store.arrays import arrays_toc, compute, read_arrays, remove_unused_arrays, write_arrays
from .store.container import (CURRENT, GENERATION_PREFIX, HELD_LOCKS, REPORT, container_lock, current_generation,
                              flip, fsync_dir, new_generation, previous_generation, read_report,
                              remove_half_built, remove_stale_generations, remove_temporaries)
from .store import container
from .store.format import format_of, write_format
from .store.manifest import damaged, latest_toc, problems, read_manifest, verify, write_manifest
from .store.forward import FORWARD, ForwardFile
from .store.positions import add_part, part_ranges, uncovered, write_part
from .store.tables import read_tables, remove_unused_tables, tables_toc, write_tables
from .vocabulary import added_spellings, encoded, spellings_of
from .store.sources import (PENDING, SOURCES, SourceFile, commit_pending, file_hash, is_unchanged, read_sources,
                            seen, settle_pending, write_sources)
from .store.postings import BulkWriter, RollingWriter
from .store.schema import BULK_FIELDS, article_document
from .store.codec import (COMPOUND_SEGMENTS, create_index, doc_frequencies, open_for_update,
                          remove_orphan_segments, segment_frequencies)

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
                  written: dict[str, str] | None = None, by_file: dict[str, list] | None = None) -> None:
    """Index the articles of `files`: skipped items recorded, republished copies counted, a
    second article with an id already taken skipped with a warning (never silently replaced).
    `written`, when given, receives the id and content key of every article indexed; `by_file`
    the [id, content key] of each, under its source file."""
    position = {path: number for number, path in enumerate(files)}  # files before it are read
    handled, last_path, files_done = 0, None, 0
    for one in prepared(source_dir, files, procs):
        _add_prepared(writer, forward, source_dir, summary, seen_keys, seen_ids, written, by_file, *one)
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
                  seen_ids: set[str], written: dict[str, str] | None, by_file: dict[str, list] | None,
                  path: Path, item: Article | Skipped,
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
    if by_file is not None:
        by_file.setdefault(origin, []).append([item.id, key])
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
            files = source_files(source_dir)
            sources = {path.relative_to(source_dir).as_posix(): seen(path) for path in files}
            by_file: dict[str, list] = {}
            with _indexing_gc():
                _add_articles(writer, forward, source_dir, files, summary, set(), set(),
                              progress, procs, by_file=by_file)
                forward.close()
                writer.commit(merge=False)
            writer = None  # its last segment's arrays, before the positions are built
            checkpoint("positions")
            write_part(generation, generation / FORWARD, 0, forward.offset)
            _write_arrays(ix, generation, None)
            _write_vocabulary(ix, generation)
            for rel, entry in sources.items():
                entry.articles = by_file.get(rel, [])
            write_sources(generation, sources, ix.latest_generation())
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
        if format_of(generation) == UPGRADABLE_FORMAT:
            remove_leftovers(index_dir)
            _upgrade(generation, source_dir)
        verify(generation, index_dir)
        remove_leftovers(index_dir)
        ix = open_for_update(generation)
        settle_pending(generation, ix.latest_generation())
        known = read_sources(generation)
        if known is None:
            raise damaged(SOURCES, "không đọc được")
        files = {p.relative_to(source_dir).as_posix(): p for p in source_files(source_dir)}
        kept: dict[str, SourceFile] = {}  # unchanged files (with a new mtime when only that changed)
        changed: list[Path] = []
        touched = False
        for rel, path in files.items():
            unchanged, renewed = is_unchanged(path, known.get(rel))
            if unchanged:
                kept[rel] = renewed or known[rel]
                touched = touched or renewed is not None
            else:
                changed.append(path)
        gone = [rel for rel in known if rel not in files]
        replaced = set(gone) | {p.relative_to(source_dir).as_posix() for p in changed}
        if not replaced and _settled(generation):
            if touched:  # only mtimes changed: remembered, so their contents are not hashed again
                write_sources(generation, kept, ix.latest_generation())
                write_manifest(generation)
            summary = RebuildSummary(indexed=0, generation=generation.name)
            summary.seconds = time.perf_counter() - started
            return summary
        changed_seen = {p.relative_to(source_dir).as_posix(): seen(p) for p in changed}
        seen_keys: set[str] = set()
        seen_ids: set[str] = set()
        before: dict[str, str] = {}  # id -> content key of the articles of replaced files
        for rel, entry in known.items():
            for article_id, key in entry.articles:
                if rel in replaced:
                    before[article_id] = key
                else:
                    seen_keys.add(key)
                    seen_ids.add(article_id)
        previous = read_arrays(generation)
        by_file: dict[str, list] = {}
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
                              written, by_file)
                forward.close()
                for rel, entry in changed_seen.items():
                    entry.articles = by_file.get(rel, [])
                # What the commit will make of the source, under the TOC generation it will write.
                write_sources(generation, {**kept, **changed_seen}, ix.latest_generation() + 1, pending=True)
                writer.commit()
        except BaseException as error:
            _abandon(*(close for close in (writer and writer.cancel, forward and forward.abandon) if close))
            _abandon(lambda: remove_temporaries(generation), lambda: remove_orphan_segments(generation),
                     lambda: (generation / PENDING).unlink(missing_ok=True))
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
        try:
            _write_arrays(ix, generation, previous)
        except OSError as error:
            summary.warnings.append(f"{write_cause(error, index_dir, generation)}: chưa ghi được các mảng của chỉ mục; "
                                    "máy chủ tự tính lại khi mở")
        try:
            _write_vocabulary(ix, generation, previous)
        except OSError as error:
            summary.warnings.append(f"{write_cause(error, index_dir, generation)}: chưa ghi được từ vựng của chỉ mục; "
                                    "máy chủ tự tính lại khi mở")
        try:
            commit_pending(generation)
        except OSError as error:
            summary.warnings.append(f"{write_cause(error, index_dir, generation)}: chưa ghi được {SOURCES}; "
                                    "lần cập nhật sau đọc lại các tệp đã đổi")
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
        remove_unused_arrays(generation)  # the old manifest lists them: allowed while its TOC is older
        remove_unused_tables(generation)
        try:
            write_manifest(generation)  # the files as this update left them
        except OSError as error:
            summary.warnings.append(f"{write_cause(error, index_dir, generation)}: chưa ghi được manifest.json; "
                                    "lần mở sau sẽ báo chỉ mục cần dựng lại")
    return summary


def _write_arrays(ix, generation: Path, previous) -> None:
    """The per-document arrays of the index as committed (segments `previous` holds copied from it)."""
    toc = ix.latest_generation()
    with ix.reader() as reader:
        write_arrays(generation, compute(reader, toc, previous))


UPGRADABLE_FORMAT = 2  # the format before arrays, vocabulary tables and sources.json: update adds them


def _upgrade(generation: Path, source_dir: Path) -> None:
    """Give a generation of UPGRADABLE_FORMAT what the current format adds (its segments are the
    same): the arrays, the vocabulary, the source manifest (from the stored articles: this reads
    every one, once), then format.json and the manifest. Left as it is (the reader then asks for a
    rebuild) when its manifest does not describe it as it is."""
    manifest = read_manifest(generation)
    if manifest is None or problems(generation, manifest):
        return
    ix = open_for_update(generation)
    toc = ix.latest_generation()
    if manifest["toc"] != toc:
        return
    files: dict[str, SourceFile] = {}
    with ix.searcher() as searcher:
        for stored in searcher.all_stored_fields():
            size, _, mtime = stored["fingerprint"].partition(":")
            entry = files.get(stored["origin"])
            if entry is None:
                path = source_dir / stored["origin"]
                try:
                    st = path.stat()
                    same = f"{st.st_size}:{st.st_mtime_ns}" == stored["fingerprint"]
                except OSError:
                    same = False
                entry = files[stored["origin"]] = SourceFile(int(size), int(mtime),
                                                             file_hash(path) if same else "")
            entry.articles.append([stored["id"], stored["content"]])
    _write_arrays(ix, generation, None)
    _write_vocabulary(ix, generation)
    write_sources(generation, files, toc)
    write_format(generation)
    write_manifest(generation)


# An update rewrites only the small tables of what it added while they hold fewer keys than this
# share of the large ones; past it (or when Whoosh merged segments away) every table is rewritten.
ADDED_SHARE = 0.25


def _write_vocabulary(ix, generation: Path, previous=None) -> None:
    """The vocabulary's tables (vocabulary.spellings_of) of the index as committed. After an
    update that only added segments to those the tables describe (`previous`: the arrays of
    that TOC, which list its segments), the small tables get the new segments' spellings and the
    large ones are kept; otherwise all are computed from every segment."""
    toc = ix.latest_generation()
    with ix.reader() as reader:
        segments = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
        old = read_tables(generation) if previous is not None else None
        kept = {s[0] for s in previous.segments} if previous is not None else set()
        if old is not None and old[0] == previous.toc and kept <= segments:
            tables, stems = old[1], old[2]
            added = added_spellings(tables, segment_frequencies(reader, "text", segments - kept))
            if all(len(added[name + "+"]) <= ADDED_SHARE * len(tables[name]) for name in ("syllables", "compounds")):
                write_tables(generation, toc, {name: encoded(table) for name, table in added.items()},
                             kept={"syllables": stems["syllables"], "compounds": stems["compounds"]})
                return
        syllables, compounds = spellings_of(doc_frequencies(reader, "text"))
        write_tables(generation, toc, {"syllables": encoded(syllables), "compounds": encoded(compounds)},
                     kept={"syllables+": None, "compounds+": None})


def _settled(generation: Path) -> bool:
    """Nothing is left to finish: the manifest, the arrays and the positions all describe the
    index as last committed (no update was killed or failed after its commit)."""
    toc = latest_toc(generation)
    try:
        manifest = read_manifest(generation)
    except IndexDamaged:
        return False
    if manifest is None or manifest["toc"] != toc or arrays_toc(generation) != toc or tables_toc(generation) != toc:
        return False
    arrays = read_arrays(generation)
    return arrays is not None and not uncovered(part_ranges(generation), arrays.forward_end)


def _origin(item: str) -> str:
    """The source file of a skipped item ("a.jsonl#L3", "a.json (id x)" → the file)."""
    return item.split("#", 1)[0].split(" (id ", 1)[0]

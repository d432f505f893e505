"""The on-disk index: Whoosh schema, the generation container, rebuild and update.

Layout of an index container (SPEC §6):

    DIR/lock            one lock file shared by rebuild and update (flock: dies with its holder)
    DIR/gen-<stamp>/    a complete Whoosh index plus report.json (skipped items, build figures)
    DIR/current         symlink to the generation in use, flipped with an atomic rename
"""
from __future__ import annotations

import fcntl
import gc
import json
import multiprocessing
import os
import shutil
import threading
import time
import zlib
from array import array
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.system import pack_uint

from .analysis import ANY_MARK, UNMARKED, PreAnalyzed, VietnameseAnalyzer, pre_analyze, term_counts
from .articles import FACET_FIELDS, MULTI_VALUED, Article, RebuildSummary, Skipped
from .checkpoints import checkpoint
from .errors import IndexBusy, IndexMissing, SourceMissing
from .ingest import Pending, content_key, iter_pending
from .ingest.readers import derived_title, source_files
from .positions import MARKS, add_part, write_part
from .postings_writer import BulkWriter, RollingWriter

CURRENT = "current"
LOCK = "lock"
REPORT = "report.json"
FORWARD = "forward.u32"  # per article: title hashes, 0, text hashes, 0 (see analysis.forward_hash)
GENERATION_PREFIX = "gen-"
# Missing values are stored as "" in the facet columns and shown as "Không rõ". The province facets'
# columns hold the whole list, joined by LIST_SEPARATOR (main first); the searcher splits it.
META_FIELDS = ("published", "year", "province", "province_2025", "provinces", "provinces_2025",
               "category", "source", "author", "url")
LIST_SEPARATOR = "|"



@dataclass(frozen=True)
class IndexProgress:
    """How far a rebuild or an update is, told after every article."""

    files_done: int  # source files read to the end
    files_total: int
    articles: int  # articles handled so far: indexed, skipped or merged as republished copies


Progress = Callable[[IndexProgress], None]
_HELD_LOCKS: set[int] = set()
# Whoosh reads a compound segment file through a private in-memory copy per searcher, and we
# keep one searcher per server thread: separate files are memory-mapped and shared instead.
COMPOUND_SEGMENTS = False  # descriptors of container locks this process holds


class VietnameseText(TEXT):
    """A TEXT field indexed through `analysis.term_counts`; its value may also be the term
    counts made ahead (a dict, as a worker process's PreAnalyzed holds them). BulkWriter writes
    those without this method (postings_writer)."""

    def index(self, value, **kwargs):
        counts = value if isinstance(value, dict) else term_counts(value)
        boost = self.format.field_boost
        for term, frequency in counts.items():
            yield term.encode("utf-8"), frequency, frequency * boost, pack_uint(frequency)


BULK_FIELDS = ("title", "text")  # written by postings_writer.BulkWriter
# update analyses in worker processes when the changed files hold more than this (a pool costs
# ~0.1 s; 100 articles, ~130 KB compressed, take 2.2 s alone and 1.7 s on two cores)
UPDATE_PARALLEL_BYTES = 64 * 1024
UPDATE_PROCS = min(2, os.cpu_count() or 1)


def make_schema() -> Schema:
    analyzer = VietnameseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        # Frequencies only: phrases are checked on the forward file (engine.Forward).
        title=VietnameseText(analyzer=analyzer, stored=True, phrase=False),
        text=VietnameseText(analyzer=analyzer, stored=True, phrase=False),
        meta=STORED(),
        datekey=ID(sortable=True),
        origin=ID(stored=True),  # source file, for update
        fingerprint=ID(stored=True),  # file size and mtime, for update
        content=ID(stored=True),  # content_key, for de-duplication
        fwd=COLUMN(NumericColumn("Q")),  # where the article starts in FORWARD (in 4-byte units)
        fwd_title=COLUMN(NumericColumn("I")),  # its title's syllable count
        fwd_text=COLUMN(NumericColumn("I")),  # its text's (indexes built before it: None)
        **{name: ID(sortable=True) for name in FACET_FIELDS},
    )


class ForwardFile:
    """The generation's forward file and, entry for entry beside it, the mark codes of its
    syllables; appended to under the container lock. A tail left by an interrupted run is never
    referenced (offsets live in the committed index) and is cut off; a marks file shorter than
    the forward file (an index built before it) is padded with ANY_MARK, so it stays aligned."""

    def __init__(self, generation: Path):
        self.handle = open(generation / FORWARD, "ab")
        size = self.handle.tell()
        if size % 4:
            self.handle.truncate(size - size % 4)
            self.handle.seek(0, os.SEEK_END)
        self.offset = self.handle.tell() // 4
        self.marks = open(generation / MARKS, "ab")
        entries = self.marks.tell() // 2
        if entries > self.offset or self.marks.tell() % 2:
            self.marks.truncate(2 * min(entries, self.offset))
            self.marks.seek(0, os.SEEK_END)
            entries = self.marks.tell() // 2
        for at in range(entries, self.offset, 1 << 20):
            (array("H", [ANY_MARK]) * min(1 << 20, self.offset - at)).tofile(self.marks)

    def add(self, title: PreAnalyzed, text: PreAnalyzed) -> tuple[int, int, int]:
        """Append one article's hashes and marks; (its start, its title's and its text's
        syllable counts)."""
        start = self.offset
        for part in (title.forward, _SEPARATOR, text.forward, _SEPARATOR):
            part.tofile(self.handle)
        for part in (title.marks, _NO_MARK, text.marks, _NO_MARK):
            part.tofile(self.marks)
        self.offset += len(title.forward) + len(text.forward) + 2
        return start, len(title.forward), len(text.forward)

    def close(self) -> None:
        for handle in (self.handle, self.marks):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()


_SEPARATOR = array("I", [0])
_NO_MARK = array("H", [UNMARKED])


def has_own_title(article: Article) -> bool:
    """False when the title was derived from the text: it is shown, not indexed (it would
    count the text's first words twice, at title weight)."""
    return article.title != derived_title(article.text)


# A text this long is stored as zlib-compressed UTF-8, compressed a slice at a time: pickled
# whole, Whoosh would hold it twice more (UTF-8 and pickle buffer) before compressing it.
COMPRESSED_TEXT_CHARS = 1 << 18
_STORE_SLICE_CHARS = 1 << 16


def stored_text(text: str) -> str | bytes:
    if len(text) < COMPRESSED_TEXT_CHARS:
        return text
    compressor = zlib.compressobj(3)
    parts = [compressor.compress(text[i:i + _STORE_SLICE_CHARS].encode("utf-8", "surrogatepass"))
             for i in range(0, len(text), _STORE_SLICE_CHARS)]
    parts.append(compressor.flush())
    return b"".join(parts)


def text_from_stored(value: str | bytes) -> str:
    return value if isinstance(value, str) else zlib.decompress(value).decode("utf-8", "surrogatepass")


def article_document(article: Article, origin: str, fingerprint: str, key: str) -> dict:
    doc = {
        "id": article.id, "title": article.title if has_own_title(article) else "", "text": article.text,
        "_stored_title": article.title, "_stored_text": stored_text(article.text),
        "meta": {name: getattr(article, name) for name in META_FIELDS},
        "datekey": article.published or "",
        "origin": origin, "fingerprint": fingerprint, "content": key,
    }
    for name in FACET_FIELDS:
        if name in MULTI_VALUED:
            doc[name] = LIST_SEPARATOR.join(getattr(article, MULTI_VALUED[name]))
            continue
        value = getattr(article, name)
        doc[name] = "" if value is None else str(value)
    return doc


def article_from_stored(stored: dict) -> Article:
    return Article(id=stored["id"], title=stored["title"], text=text_from_stored(stored["text"]), **stored["meta"])


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
        _HELD_LOCKS.add(handle.fileno())
        try:
            yield
        finally:
            _HELD_LOCKS.discard(handle.fileno())
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


ANALYSIS_BATCH = 32  # articles sent to a worker at a time


def _prepare(pending: Pending) -> tuple[Article | Skipped, str | None, tuple | None]:
    """Metadata, content key and the postings of one article (in a worker when procs > 1)."""
    item = pending.finish()
    if isinstance(item, Skipped):
        return item, None, None
    title = item.title if has_own_title(item) else ""
    return item, content_key(item), (pre_analyze(title), pre_analyze(item.text))


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
    for fd in _HELD_LOCKS:
        os.close(fd)
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _prepare_batch(batch: list[Pending]) -> list[tuple]:
    return [_prepare(pending) for pending in batch]


def _prepared(source_dir: Path, files: list[Path], procs: int
              ) -> Iterator[tuple[Path, Article | Skipped, str | None, tuple | None]]:
    """(file, article or skipped, content key, postings) in source order. With procs > 1 the
    extraction and pyvi run in worker processes while this process feeds Whoosh; a bounded
    number of batches is in flight."""
    if procs <= 1:
        for path, item in iter_pending(source_dir, files):
            yield (path, item, None, None) if isinstance(item, Skipped) else (path, *_prepare(item))
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(procs, mp_context=context, initializer=_worker_start) as pool:
        pending: deque = deque()

        def submit(batch):
            work = [item for _, item in batch if isinstance(item, Pending)]
            pending.append((batch, pool.submit(_prepare_batch, work)))

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
    for prepared in _prepared(source_dir, files, procs):
        _add_prepared(writer, forward, source_dir, summary, seen_keys, seen_ids, written, *prepared)
        handled += 1
        if progress:
            if prepared[0] is not last_path:
                last_path, files_done = prepared[0], position[prepared[0]]
            progress(IndexProgress(files_done, len(files), handled))
        del prepared  # a huge article is let go before the next one is read
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
    doc = article_document(item, origin, _fingerprint(path), key)
    doc["title"], doc["text"] = tokens[0].counts, tokens[1].counts
    doc["fwd"], doc["fwd_title"], text_length = forward.add(tokens[0], tokens[1])
    if "fwd_text" in writer.schema:  # an index built before the column: ends are then inferred
        doc["fwd_text"] = text_length
    writer.add_document(**doc)
    summary.indexed += 1


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
        writer = RollingWriter(ix, BULK_FIELDS, procs=procs, limitmb=256, compound=COMPOUND_SEGMENTS)
        forward = ForwardFile(generation)
        summary = RebuildSummary(indexed=0, generation=generation.name)
        checkpoint("start")
        try:
            with _indexing_gc():
                _add_articles(writer, forward, source_dir, source_files(source_dir), summary, set(), set(),
                              progress, procs)
                forward.close()
                writer.commit(merge=False)
        except BaseException:
            writer.cancel()
            shutil.rmtree(generation, ignore_errors=True)
            raise
        del writer  # its last segment's arrays, before the positions are built
        try:
            write_part(generation, generation / FORWARD, 0, forward.offset)
        except BaseException:
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
        files = {p.relative_to(source_dir).as_posix(): p for p in source_files(source_dir)}
        indexed: dict[str, str] = {}
        seen_keys: set[str] = set()
        seen_ids: set[str] = set()
        with ix.searcher() as searcher:
            stored_docs = list(searcher.all_stored_fields())
        for stored in stored_docs:
            indexed[stored["origin"]] = stored["fingerprint"]
        changed = [p for rel, p in files.items() if indexed.get(rel) != _fingerprint(p)]
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
        # One BulkWriter, one commit: readers see the update wholly or not at all.
        writer = BulkWriter(ix, BULK_FIELDS, limitmb=128, compound=COMPOUND_SEGMENTS)
        forward = ForwardFile(generation)
        appended_from = forward.offset
        checkpoint("start")
        try:
            for rel in replaced:
                writer.delete_by_term("origin", rel)
            with _indexing_gc():
                procs = UPDATE_PROCS if sum(p.stat().st_size for p in changed) > UPDATE_PARALLEL_BYTES else 1
                _add_articles(writer, forward, source_dir, changed, summary, seen_keys, seen_ids, progress, procs,
                              written)
                forward.close()
                writer.commit()
        except BaseException:
            writer.cancel()
            forward.handle.close()
            forward.marks.close()
            raise
        # After the commit: a range left without a part (interrupted, disk full) is scanned by readers.
        try:
            add_part(generation, generation / FORWARD, appended_from, forward.offset)
        except OSError:
            pass
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
        write_report(generation, total, source_dir)
    return summary


def _origin(item: str) -> str:
    """The source file of a skipped item ("a.jsonl#L3", "a.json (id x)" → the file)."""
    return item.split("#", 1)[0].split(" (id ", 1)[0]


def open_whoosh(index_dir: str | os.PathLike):
    generation = current_generation(Path(index_dir))
    try:
        # Read with seek and read, not mmap: index pages a query touched stay in the OS cache,
        # not in the server's resident memory.
        return generation, FileStorage(str(generation), supports_mmap=False).open_index()
    except (OSError, whoosh_index.EmptyIndexError):
        raise IndexMissing(f"Chỉ mục tại {index_dir} bị hỏng hoặc chưa hoàn chỉnh; hãy chạy: python manage.py rebuild") from None

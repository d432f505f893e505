"""The write path on OpenSearch: `rebuild` bulk-loads a new index `<alias>-<stamp>` (analysed
by vnsearch, in worker processes when asked; a bounded number of bulk requests in flight),
writes its companion meta index (the vocabulary's document frequencies, the report), then
moves the alias to it in one `_aliases` call and deletes the old one. Any failure before the
move deletes the new index: the alias stays where it was. `update` upserts the articles of
new and changed files by id and deletes by id those that are gone (the embedded update's change
detection: a file's size and mtime)."""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

from ..articles import RebuildSummary, Skipped
from ..build import IndexProgress, Progress, fingerprint, prepared
from ..checkpoints import checkpoint
from ..errors import IndexMissing, SourceMissing, WriteFailed
from ..ingest.readers import source_files
from ..query.weights import DEFAULT_WEIGHTS, Weights
from .connection import answered, client_of
from .documents import analyse_pair, analyse_text, article_document
from .mapping import index_settings, meta_index, meta_settings

BULK_CHUNK = 200  # articles per bulk request
BULK_BYTES = 20 * 1024 * 1024
VOCABULARY_PART = 50_000  # (term, df) pairs per document of the meta index
SHARDS_ENV, REPLICAS_ENV = "VNSEARCH_OPENSEARCH_SHARDS", "VNSEARCH_OPENSEARCH_REPLICAS"


def _layout() -> tuple[int, int]:
    return int(os.environ.get(SHARDS_ENV) or 1), int(os.environ.get(REPLICAS_ENV) or 0)


def _stamp() -> str:
    now = time.time()
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(now)) + f"-{int(now * 1000) % 1000:03d}"


def _report(summary: RebuildSummary, source_dir: Path) -> dict:
    return {"source": str(source_dir), "indexed": summary.indexed, "duplicates": summary.duplicates,
            "seconds": round(summary.seconds, 3), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "skipped": [s.to_dict() for s in summary.skipped]}


def _write_meta(client, index: str, version: int, report: dict, frequencies: Counter, articles: int) -> None:
    meta = meta_index(index)
    pairs = sorted(frequencies.items())
    parts = 0
    for start in range(0, len(pairs), VOCABULARY_PART):
        client.index(index=meta, id=f"vocabulary-{parts}",
                     body={"kind": "vocabulary", "terms": json.dumps(pairs[start:start + VOCABULARY_PART],
                                                                     ensure_ascii=False)})
        parts += 1
    client.index(index=meta, id="state", refresh=True,
                 body={"kind": "state", "version": version, "parts": parts, "report": report, "articles": articles})




def _current_index(client, alias: str) -> str | None:
    if not client.indices.exists_alias(name=alias):
        if client.indices.exists(index=alias):
            raise WriteFailed(f"Trên OpenSearch đã có một chỉ mục tên {alias} (không phải bí danh); "
                              "hãy xóa nó hoặc chọn tên khác trong địa chỉ --opensearch")
        return None
    found = list(client.indices.get_alias(name=alias))
    return found[0] if len(found) == 1 else None


class _Loader:
    """Articles of prepared files → bulk actions, with the embedded build's rules: skipped items
    recorded, republished copies counted once, a second article with a taken id skipped."""

    def __init__(self, index: str, source_dir: Path, summary: RebuildSummary, seen_keys: set[str],
                 seen_ids: set[str], frequencies: Counter, seq: int = 0, written: dict | None = None):
        self.index, self.source_dir, self.summary = index, source_dir, summary
        self.seen_keys, self.seen_ids, self.frequencies = seen_keys, seen_ids, frequencies
        self.seq, self.written = seq, written

    def actions(self, files: list[Path], procs: int, progress: Progress | None):
        position = {path: number for number, path in enumerate(files)}
        handled, last_path, files_done = 0, None, 0
        for path, item, key, analysed in prepared(self.source_dir, files, procs, analyse_pair):
            action = self._action(path, item, key, analysed)
            if action is not None:
                yield action
            handled += 1
            if progress:
                if path is not last_path:
                    last_path, files_done = path, position[path]
                progress(IndexProgress(files_done, len(files), handled))
            if handled == 32:
                checkpoint("reading")
        if progress:
            progress(IndexProgress(len(files), len(files), handled))

    def _action(self, path: Path, item, key, analysed) -> dict | None:
        if isinstance(item, Skipped):
            self.summary.skipped.append(item)
            return None
        if key in self.seen_keys:
            self.summary.duplicates += 1
            return None
        origin = path.relative_to(self.source_dir).as_posix()
        if item.id in self.seen_ids:
            self.summary.skipped.append(Skipped(f"{origin} (id {item.id})",
                                                "trùng id với một bài viết khác đã được đánh chỉ mục"))
            return None
        self.seen_keys.add(key)
        self.seen_ids.add(item.id)
        if self.written is not None:
            self.written[item.id] = key
        self.frequencies.update(analysed[1].terms)
        self.seq += 1
        self.summary.indexed += 1
        doc = article_document(item, analysed, self.seq, origin, fingerprint(path), key)
        return {"_op_type": "index", "_index": self.index, "_id": item.id, "_source": doc}


BULK_RETRIES = 8  # a node short of memory answers 429 ("Data too large"): wait and send again
BULK_BACKOFF = 2  # seconds before the first retry, doubled each time (at most BULK_MAX_BACKOFF)
BULK_MAX_BACKOFF = 60


def _bulk(client, actions) -> None:
    """Bulk requests of BULK_CHUNK articles, one at a time (the analysis runs in parallel before),
    each sent again after a pause when the cluster pushes back with 429: a small node loading the
    whole archive was refused at 60,000 articles by its memory circuit breaker."""
    from opensearchpy.helpers import streaming_bulk

    for ok, info in streaming_bulk(client, actions, chunk_size=BULK_CHUNK, max_chunk_bytes=BULK_BYTES,
                                   raise_on_error=True, max_retries=BULK_RETRIES, initial_backoff=BULK_BACKOFF,
                                   max_backoff=BULK_MAX_BACKOFF, request_timeout=120):
        if not ok:
            raise WriteFailed(f"OpenSearch không ghi được một bài viết: {info}")


def _begin(source_dir: str | os.PathLike, url: str):
    """(source folder, start time, client, alias) of a rebuild or update; SourceMissing first."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise SourceMissing(f"Không tìm thấy thư mục bài viết: {source_dir}")
    return (source_dir, time.perf_counter(), *client_of(url))


def rebuild(source_dir: str | os.PathLike, url: str, procs: int = 1, progress: Progress | None = None,
            weights: Weights = DEFAULT_WEIGHTS) -> RebuildSummary:
    """Index every article below `source_dir` into a new index and move the alias of `url` to
    it (one `_aliases` call); on any failure before that, the new index is deleted and the
    alias left where it was."""
    source_dir, started, client, alias = _begin(source_dir, url)
    with answered(url):
        previous = _current_index(client, alias)
        index = f"{alias}-{_stamp()}"
        shards, replicas = _layout()
        summary = RebuildSummary(indexed=0, generation=index)
        client.indices.create(index=index, body=index_settings(weights, shards, replicas))
        try:
            client.indices.create(index=meta_index(index), body=meta_settings(replicas))
            client.indices.put_settings(index=index, body={"index": {"refresh_interval": "-1"}})
            checkpoint("start")
            frequencies: Counter = Counter()
            loader = _Loader(index, source_dir, summary, set(), set(), frequencies)
            _bulk(client, loader.actions(source_files(source_dir), procs, progress))
            checkpoint("commit")
            client.indices.put_settings(index=index, body={"index": {"refresh_interval": "1s"}})
            client.indices.refresh(index=index)
            client.cluster.health(index=index, wait_for_status="yellow", request_timeout=120)
            summary.seconds = time.perf_counter() - started
            _write_meta(client, index, 0, _report(summary, source_dir), frequencies, summary.indexed)
            del frequencies
            actions = [{"add": {"index": index, "alias": alias}}]
            if previous:
                actions.append({"remove": {"index": previous, "alias": alias}})
            client.indices.update_aliases(body={"actions": actions})  # the swap: one call
        except BaseException:
            _delete(client, index, meta_index(index))
            raise
        if previous:
            _delete(client, previous, meta_index(previous))
        _delete_strays(client, alias, index)
    return summary


def _delete(client, *indexes: str) -> None:
    for name in indexes:
        try:
            client.indices.delete(index=name, ignore_unavailable=True)
        except Exception:
            pass  # a second failure must not hide the first


def _delete_strays(client, alias: str, keep: str) -> None:
    """Indexes of this alias older than `keep` that a killed rebuild left behind (stamps sort
    by time; a newer one may be another rebuild's, under way)."""
    try:
        names = list(client.indices.get(index=f"{alias}-*", expand_wildcards="open"))
    except Exception:
        return
    for name in names:
        if name.startswith(alias + "-") and name < keep:
            _delete(client, name)


def update(source_dir: str | os.PathLike, url: str, progress: Progress | None = None) -> RebuildSummary:
    """Upsert by id the articles of new and changed files, delete by id those gone; adjust the
    vocabulary's frequencies and bump the meta version (searchers reload within a second)."""
    from opensearchpy.helpers import scan

    source_dir, started, client, alias = _begin(source_dir, url)
    with answered(url):
        index = _current_index(client, alias)
        if index is None:
            raise IndexMissing(f"Chưa có chỉ mục trên OpenSearch tại {url}; hãy chạy: "
                               f"python manage.py rebuild --opensearch {url}")
        files = {p.relative_to(source_dir).as_posix(): p for p in source_files(source_dir)}
        stored = list(scan(client, index=index, query={"query": {"match_all": {}}},
                           _source=["id", "origin", "fingerprint", "content", "seq"]))
        indexed = {d["_source"]["origin"]: d["_source"]["fingerprint"] for d in stored}
        changed = [p for rel, p in files.items() if indexed.get(rel) != fingerprint(p)]
        gone = [rel for rel in indexed if rel not in files]
        replaced = set(gone) | {p.relative_to(source_dir).as_posix() for p in changed}
        seen_keys, seen_ids, before = set(), set(), {}
        for d in stored:
            source = d["_source"]
            if source["origin"] in replaced:
                before[source["id"]] = source["content"]
            else:
                seen_keys.add(source["content"])
                seen_ids.add(source["id"])
        last_seq = max((d["_source"].get("seq", 0) for d in stored), default=0)
        version, report, pairs = _meta(client, index)
        frequencies = Counter({term: df for term, df in pairs})
        for old in _sources(client, index, list(before)):  # their terms leave the vocabulary
            frequencies.subtract(analyse_text(old["text"]).terms)
        summary = RebuildSummary(indexed=0, generation=index)
        written: dict[str, str] = {}
        checkpoint("start")
        loader = _Loader(index, source_dir, summary, seen_keys, seen_ids, frequencies, last_seq, written)
        _bulk(client, loader.actions(changed, procs=1, progress=progress))
        removed = [{"_op_type": "delete", "_index": index, "_id": id_} for id_ in before if id_ not in written]
        _bulk(client, iter(removed))
        client.indices.refresh(index=index)
        frequencies = Counter({term: df for term, df in frequencies.items() if df > 0})
        summary.added = sum(1 for id_ in written if id_ not in before)
        summary.changed = sum(1 for id_, key in written.items() if id_ in before and before[id_] != key)
        summary.removed = sum(1 for id_ in before if id_ not in written)
        summary.removed_files = len(gone)
        summary.seconds = time.perf_counter() - started
        still = [s for s in report.get("skipped", []) if s["item"].split("#", 1)[0].split(" (id ", 1)[0]
                 not in replaced]
        articles = client.count(index=index)["count"]
        total = RebuildSummary(indexed=articles, skipped=[Skipped(**s) for s in still] + summary.skipped,
                               duplicates=report.get("duplicates", 0) + summary.duplicates, seconds=summary.seconds)
        _write_meta(client, index, version + 1, _report(total, source_dir), frequencies, articles)
    return summary


def _meta(client, index: str):
    from .searcher import load_meta

    return load_meta(client, index)


def _sources(client, index: str, ids: list[str]):
    for start in range(0, len(ids), 500):
        found = client.mget(index=index, body={"ids": ids[start:start + 500]}, _source=["text"])
        for doc in found["docs"]:
            if doc.get("found"):
                yield doc["_source"]

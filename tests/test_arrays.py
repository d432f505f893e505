"""Per-document arrays and the source manifest (store/arrays.py, store/sources.py): written by
rebuild and update, memory-mapped at open, kept right by update; a no-op update reads no stored
document; a new snapshot is loaded beside the one in use."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time

import numpy as np
import pytest
from whoosh.reading import SegmentReader

import search.build as build
import search.snapshot as snapshot_module
from search import open_index, rebuild, update
from search.errors import IndexOutdated
from search.facets import Columns
from search.requests import SearchRequest
from search.snapshot import Snapshot
from search.store import arrays as arrays_module
from search.store.container import ARRAYS, SOURCES, current_generation
from search.store.format import FORMAT, FORMAT_VERSION
from search.store.reader import GenerationReader
from search.store.sources import read_sources

from helpers import SAMPLES
from test_crash_safety import write_generated_source

# (Whoosh's document frequencies count deleted documents until a merge, so an updated index may
# split or weigh a query's words otherwise than a fresh one: its results are compared as sets.)
QUERIES = ["bài gen", "kinh tế", "mảng", "Đà Nẵng", ""]


def article(n, text="Bài kiểm tra mảng chỉ mục", **extra):
    return {"id": f"a-{n}", "title": f"Tin mảng số {n}", "text": f"{text} số {n}.", **extra}


def write_jsonl(path, articles):
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")


@pytest.fixture()
def source(tmp_path):
    folder = tmp_path / "source"
    shutil.copytree(SAMPLES, folder)
    write_generated_source(folder, articles=40, per_file=10)
    write_jsonl(folder / "provinces.jsonl", [
        article(1, "Tin ở Long An và Cần Thơ", author="Nguyễn Văn A"),
        article(2, "Tin ở Hà Nội", published="2021-03-04"),
    ])
    return folder


def view_of(index_dir) -> dict:
    """What a snapshot's arrays say of every live article, by id (docnums differ between builds)."""
    view = Snapshot.open(index_dir)
    columns, store = view.columns, view.store
    out = {}
    for docnum in np.flatnonzero(columns.live):
        docnum = int(docnum)
        stored = store.stored(docnum)
        row = {name: columns.values[name][columns.codes[name][docnum]] for name in columns.codes}
        for name, lists in columns.lists.items():
            row[name + "*"] = sorted(columns.values[name][c] for c in lists.flat[lists.owner == docnum])
        rank = int(columns.date_rank[docnum])
        row["date"] = columns.date_values[rank] if rank >= 0 else ""
        row["author"] = bool(store.arrays.ints["has_author"][docnum])
        row["forward"] = (int(store.forward.title_lengths[docnum]), int(store.forward.text_lengths[docnum]))
        out[stored["id"]] = row
    return out


def results_of(index_dir) -> dict:
    index = open_index(index_dir)
    out = {}
    for q in QUERIES:
        found = index.search(SearchRequest(q=q, size=50))
        out[q] = (sorted(h.id for h in found.hits), found.total,
                  {name: [(v.value, v.count) for v in values] for name, values in found.facets.items()})
    out["date"] = index.search(SearchRequest(q="", date_from="2021-01-01", date_to="2021-12-31")).total
    out["place"] = index.search(SearchRequest(q="", filters={"province": ["Cà Mau"]})).total
    out["stats"] = {k: v for k, v in index.stats().items() if k in ("articles", "with", "top")}
    return out


def test_rebuild_writes_arrays_and_opening_reads_no_whoosh_column(source, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    generation = current_generation(index_dir)
    pointer = json.loads((generation / ARRAYS).read_text())
    assert pointer["size"] == 47
    assert (generation / f"arrays-{pointer['toc']}.live.npy").exists()
    listed = json.loads((generation / "manifest.json").read_text())["files"]
    assert ARRAYS in listed and SOURCES in listed and f"arrays-{pointer['toc']}.province.npy" in listed

    def no_columns(*args, **kwargs):
        raise AssertionError("a Whoosh column was read at open")

    monkeypatch.setattr(SegmentReader, "column_reader", no_columns)
    reader = GenerationReader(index_dir)
    assert isinstance(reader.live, np.memmap) and not reader.live.flags.writeable
    assert isinstance(reader.arrays.codes["province"], np.memmap)
    assert open_index(index_dir).search(SearchRequest(q="", filters={"province": ["Long An"]})).total >= 1


def test_a_generation_of_the_previous_format_asks_for_a_rebuild(source, tmp_path):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    (current_generation(index_dir) / FORMAT).write_text(json.dumps({"format": FORMAT_VERSION - 1}))
    with pytest.raises(IndexOutdated, match="dựng lại"):
        open_index(index_dir)


def change_source(folder):
    (folder / "004_cb6f3e124aee11ae.txt").unlink()  # a deleted file
    os.rename(folder / "gen-001.jsonl", folder / "renamed.jsonl")  # a renamed one
    write_jsonl(folder / "provinces.jsonl", [  # changed: one article edited, one new, one gone
        article(1, "Tin ở Cà Mau, sửa đổi", author="Trần B"),
        article(3, "Tin mới ở Đà Nẵng", published="2021-07-08"),
    ])
    write_generated_source(folder, articles=10, per_file=10, seed=5, prefix="more")  # a new file


def test_update_leaves_the_same_arrays_and_results_as_a_fresh_rebuild(source, tmp_path):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    change_source(source)
    update(source, index_dir)
    fresh = tmp_path / "fresh"
    rebuild(source, fresh)
    assert view_of(index_dir) == view_of(fresh)
    assert results_of(index_dir) == results_of(fresh)
    generation = current_generation(index_dir)
    toc = json.loads((generation / ARRAYS).read_text())["toc"]
    assert sorted({p.name.split(".")[0] for p in generation.glob("arrays-*")}) == [f"arrays-{toc}"]
    assert set(read_sources(generation)) == {p.name for p in source.iterdir()}


def test_arrays_an_update_could_not_write_are_computed_at_open(source, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    change_source(source)

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build, "_write_arrays", fail)
    summary = update(source, index_dir)
    assert any("mảng" in w for w in summary.warnings)
    monkeypatch.undo()
    fresh = tmp_path / "fresh"
    rebuild(source, fresh)
    assert view_of(index_dir) == view_of(fresh)
    update(source, index_dir)  # not settled: the next update writes them
    generation = current_generation(index_dir)
    assert json.loads((generation / ARRAYS).read_text())["toc"] == GenerationReader(index_dir).version


def test_stats_from_arrays_count_what_the_stored_articles_say(source, tmp_path):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    view = Snapshot.open(index_dir)
    stats = open_index(index_dir).stats()
    assert stats["with"]["author"]["count"] == sum(1 for d in view.store.all_stored() if d["meta"].get("author"))
    assert stats["with"]["author"]["count"] >= 1
    for name in ("province", "year", "source", "category"):
        counted = sum(1 for d in view.store.all_stored() if d["meta"].get(name) not in (None, ""))
        assert stats["with"][name]["count"] == counted, name


def stored_reads(monkeypatch) -> list:
    """Every stored document read through Whoosh from now on (all reads go through its codec)."""
    from whoosh.codec.whoosh3 import W3PerDocReader
    reads = []
    original = W3PerDocReader.stored_fields

    def counted(self, docnum):
        reads.append(docnum)
        return original(self, docnum)

    monkeypatch.setattr(W3PerDocReader, "stored_fields", counted)
    return reads


def test_a_no_op_update_reads_no_stored_document_and_no_source_file(source, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    generation = current_generation(index_dir)
    before = {p.name: p.stat().st_mtime_ns for p in generation.iterdir()}
    reads = stored_reads(monkeypatch)
    hashed: list = []
    monkeypatch.setattr(build, "seen", lambda path: hashed.append(path))
    monkeypatch.setattr("search.store.sources.file_hash", lambda path: hashed.append(path))
    summary = update(source, index_dir)
    assert (summary.indexed, summary.removed, summary.removed_files) == (0, 0, 0)
    assert reads == [] and hashed == []
    stored_reads(monkeypatch)
    open_index(index_dir).get("gen-1")
    assert reads, "the probe counts nothing"
    assert {p.name: p.stat().st_mtime_ns for p in generation.iterdir()} == before  # nothing written


def indexed_once_more(monkeypatch) -> list:
    files = []
    original = build._add_articles

    def counting(writer, forward, source_dir, changed, *args, **kwargs):
        files.extend(p.name for p in changed)
        return original(writer, forward, source_dir, changed, *args, **kwargs)

    monkeypatch.setattr(build, "_add_articles", counting)
    return files


def test_the_source_manifest_tells_what_changed(source, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    index = open_index(index_dir)
    read = indexed_once_more(monkeypatch)
    target = source / "provinces.jsonl"

    os.utime(target, ns=(5, 5))  # touched only: same size, same content
    assert update(source, index_dir).indexed == 0 and read == []
    assert read_sources(current_generation(index_dir))["provinces.jsonl"].mtime_ns == 5
    assert update(source, index_dir).indexed == 0 and read == []  # the new mtime is remembered

    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("Cần Thơ", "Cần Thu"), encoding="utf-8")  # same size, other content
    os.utime(target, ns=(6, 6))
    summary = update(source, index_dir)
    assert read == ["provinces.jsonl"] and summary.changed == 1
    assert index.search(SearchRequest(q='"Cần Thu"')).total == 1

    read.clear()
    write_jsonl(target, [article(1, "Dài hơn trước, ở Cần Thơ", author="Nguyễn Văn A")])  # another size
    os.utime(target, ns=(6, 6))  # even with the mtime the manifest holds
    summary = update(source, index_dir)
    assert read == ["provinces.jsonl"] and (summary.changed, summary.removed) == (1, 1)

    read.clear()
    os.rename(source / "gen-000.jsonl", source / "gen-renamed.jsonl")
    summary = update(source, index_dir)
    assert read == ["gen-renamed.jsonl"] and summary.removed_files == 1
    assert index.count() == 46
    assert index.get("gen-0").id == "gen-0"

    read.clear()
    (source / "gen-renamed.jsonl").unlink()
    summary = update(source, index_dir)
    assert read == [] and summary.removed == 10 and index.count() == 36


def test_a_search_during_a_slow_load_answers_from_the_old_snapshot(source, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    index = open_index(index_dir)
    assert index.count() == 47
    write_jsonl(source / "late.jsonl", [article(9), article(10)])
    update(source, index_dir)

    loading, release = threading.Event(), threading.Event()
    original = Snapshot.open.__func__

    def slow_open(cls, *args, **kwargs):
        loading.set()
        assert release.wait(30)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(snapshot_module.Snapshot, "open", classmethod(slow_open))
    loader = threading.Thread(target=index.count)
    loader.start()
    try:
        assert loading.wait(30)
        started = time.perf_counter()
        assert index.count() == 47  # the old snapshot answers, without waiting for the load
        assert index.search(SearchRequest(q="mảng")).total >= 1
        assert time.perf_counter() - started < 5
    finally:
        release.set()
        loader.join(30)
    assert index.count() == 49  # swapped in when ready


def test_the_written_vocabulary_is_the_one_computed_from_document_frequencies(source, tmp_path):
    from search.text import fold_accents
    from search.vocabulary import Vocabulary
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    change_source(source)
    update(source, index_dir)
    write_jsonl(source / "later.jsonl", [article(20, "Đại hội đảng bộ tỉnh Đà Nẵng"), article(21, "Đai hội")])
    update(source, index_dir)  # a second update: its small tables take over the first one's
    pointer = json.loads((current_generation(index_dir) / "vocabulary.json").read_text())
    assert pointer["tables"]["syllables+"] and pointer["tables"]["syllables"] != pointer["tables"]["syllables+"]
    reader = GenerationReader(index_dir)
    assert reader.vocabulary_tables() is not None
    written, computed = Vocabulary.of_store(reader), Vocabulary.from_reader(reader)
    for name in ("syllables", "compounds", "syllable_df", "compound_df"):
        mine, theirs = getattr(written, name), getattr(computed, name)
        assert len(mine) == len(theirs) > 0, name
        assert dict(mine.items()) == theirs, name
    assert "khong-co-tu-nay" not in written.syllables and written.compound_df.get(("khong", "co"), 0) >= 0
    prefixes = {s[:n] for s in computed.syllable_df for n in (1, 2, 3)} | {fold_accents(s[:2]) for s in computed.syllable_df}
    for prefix in sorted(prefixes) + ["đại", "dai", "zzz", "ngh"]:  # the tables' runs, the dicts' bisection
        assert written.with_prefix(prefix, 5) == computed.with_prefix(prefix, 5), prefix


def as_previous_format(index_dir) -> None:
    """Make a generation what FORMAT_VERSION 2 wrote: the same segments, no arrays, vocabulary
    tables or source manifest."""
    from search.store.manifest import write_manifest
    generation = current_generation(index_dir)
    for entry in generation.iterdir():
        if entry.name.startswith(("arrays", "vocabulary", "sources")):
            entry.unlink()
    (generation / FORMAT).write_text(json.dumps({"format": 2}) + "\n")
    write_manifest(generation)


def test_update_upgrades_a_generation_of_the_previous_format_in_place(source, tmp_path):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    fresh = results_of(index_dir)
    as_previous_format(index_dir)
    with pytest.raises(IndexOutdated):
        open_index(index_dir)
    summary = update(source, index_dir)
    assert (summary.indexed, summary.removed) == (0, 0)
    assert results_of(index_dir) == fresh
    change_source(source)
    update(source, index_dir)
    rebuilt = tmp_path / "rebuilt"
    rebuild(source, rebuilt)
    assert view_of(index_dir) == view_of(rebuilt)

"""The generation container: atomic swap, one lock, incremental update."""
import hashlib
import json
import os
import shutil

import pytest
from hypothesis import given, settings, strategies as st

import search.build as index_module
import search.store.schema as schema_module
import search.ingest as ingest
from search import open_index, rebuild, update
from search.articles import Article
from search.errors import IndexBusy, IndexMissing, SourceMissing
from search.store.container import CURRENT, container_lock
from search.store.schema import stored_text, text_from_stored
from search.ingest import content_key
from search.requests import SearchRequest

from helpers import SAMPLES


def write_jsonl(path, articles):
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")


def article(n, text="Bài kiểm tra cập nhật chỉ mục"):
    return {"id": f"u-{n}", "title": f"Tin số {n}", "text": f"{text} số {n}."}


@pytest.fixture()
def source(tmp_path):
    folder = tmp_path / "source"
    shutil.copytree(SAMPLES, folder)
    return folder


def test_rebuild_points_current_at_a_complete_generation(source, tmp_path):
    index_dir = tmp_path / "index"
    summary = rebuild(source, index_dir)
    assert summary.indexed == 5 and not summary.skipped
    assert (index_dir / CURRENT).is_symlink()
    assert os.readlink(index_dir / CURRENT).startswith("gen-")
    assert open_index(index_dir).count() == 5


def test_rebuild_keeps_only_the_current_and_previous_generation(source, tmp_path):
    index_dir = tmp_path / "index"
    for _ in range(3):
        rebuild(source, index_dir)
    assert len([p for p in index_dir.iterdir() if p.name.startswith("gen-")]) == 2


def test_an_open_index_picks_up_a_new_generation_without_reopening(source, tmp_path):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    index = open_index(index_dir)
    assert index.count() == 5
    write_jsonl(source / "more.jsonl", [article(1), article(2)])
    rebuild(source, index_dir)
    assert index.count() == 7


def test_a_second_writer_is_refused_while_the_lock_is_held(source, tmp_path):
    index_dir = tmp_path / "index"
    with container_lock(index_dir):
        with pytest.raises(IndexBusy):
            rebuild(source, index_dir)
        with pytest.raises(IndexBusy):
            update(source, index_dir)


def test_missing_index_and_missing_source_are_user_errors(tmp_path):
    with pytest.raises(IndexMissing):
        open_index(tmp_path / "nothing")
    with pytest.raises(SourceMissing):
        rebuild(tmp_path / "no-source", tmp_path / "index")


def test_republished_article_is_indexed_once(source, tmp_path):
    shutil.copy(source / "001_4a7d02fcda62732a.txt", source / "copy-of-001.txt")
    summary = rebuild(source, tmp_path / "index")
    assert summary.indexed == 5 and summary.duplicates == 1


def test_update_adds_changes_and_removes_in_proportion(source, tmp_path):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    index = open_index(index_dir)
    write_jsonl(source / "new.jsonl", [article(1), article(2), article(3)])
    summary = update(source, index_dir)
    assert summary.indexed == 3 and index.count() == 8
    assert (summary.added, summary.changed, summary.removed, summary.removed_files) == (3, 0, 0, 0)

    (source / "004_cb6f3e124aee11ae.txt").unlink()
    write_jsonl(source / "new.jsonl", [article(1, "Nội dung đã sửa đổi")])
    os.utime(source / "new.jsonl", ns=(1, 1))
    summary = update(source, index_dir)
    assert summary.indexed == 1 and summary.removed_files == 1
    # u-1 changed; u-2, u-3 and the deleted file's article are gone
    assert (summary.added, summary.changed, summary.removed) == (0, 1, 3)
    assert index.count() == 5
    assert index.search(SearchRequest(q="sửa đổi")).total == 1
    assert index.search(SearchRequest(filters={"province": ["Long An"]})).total == 0


def test_update_of_an_unchanged_folder_does_nothing(source, tmp_path):
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    summary = update(source, index_dir)
    assert summary.indexed == 0 and summary.removed == 0 and summary.removed_files == 0


def content_key_in_one_piece(title, text):
    from search.text import normalize

    body = " ".join(normalize(title).split()) + "\n" + " ".join(normalize(text).split())
    return hashlib.sha1(body.encode("utf-8")).hexdigest()


@settings(max_examples=300)
@given(st.text(alphabet="aAoOuUyY hoàHOÀthuýđĐΣσ\u0301\u0300\u0323 \t\n\xa0\u2028", max_size=60), st.text(max_size=8))
def test_content_key_hashed_in_slices_equals_the_key_of_the_whole_text(text, title):
    """Keys of existing indexes stay valid: slicing changes how the key is computed, not its value."""
    article = Article(id="x", title=title, text=text)
    whole = content_key_in_one_piece(title, text)
    assert content_key(article) == whole
    saved, ingest.KEY_CHUNK_CHARS = ingest.KEY_CHUNK_CHARS, 3
    try:
        assert content_key(article) == whole
    finally:
        ingest.KEY_CHUNK_CHARS = saved


@pytest.mark.parametrize("text", ["ngắn", "Đại hội Đảng bộ. " * 20_000, "lẻ \ud800 cặp \ud83d\ude00 " * 30_000])
def test_a_stored_text_reads_back_whole(text):
    assert text_from_stored(stored_text(text)) == text


def test_a_long_text_is_stored_compressed_and_read_back_whole(source, tmp_path, monkeypatch):
    from search.ingest import iter_articles

    monkeypatch.setattr(schema_module, "COMPRESSED_TEXT_CHARS", 100)
    rebuild(source, tmp_path / "index")
    ix = open_index(tmp_path / "index")
    for _, article in iter_articles(source):
        assert ix.get(article.id).text == article.text
    hit = ix.search(SearchRequest(q="truyền thông")).hits[0]
    assert "<mark>" in hit.snippet_html


def test_an_update_with_many_articles_analyses_them_in_worker_processes(tmp_path):
    """Past index_module.UPDATE_PARALLEL_BYTES of changed files, update uses the worker pool; the result is
    the one a rebuild of the same files gives."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.jsonl").write_text(json.dumps({"id": "a", "title": "Tin sáng", "text": "Hội nghị tỉnh."}),
                                    encoding="utf-8")
    rebuild(source, tmp_path / "index")
    lines = [json.dumps({"id": f"n{i}", "title": f"Bản tin số {i}",
                          "text": f"Đại hội đảng bộ xã thứ {i} bàn về nông thôn mới và giao thông. " * 8},
                         ensure_ascii=False) for i in range(200)]
    (source / "b.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert (source / "b.jsonl").stat().st_size > index_module.UPDATE_PARALLEL_BYTES
    assert update(source, tmp_path / "index").indexed == 200
    rebuild(source, tmp_path / "fresh")
    for q in ('"nông thôn mới"', "dai hoi", "bản tin số 17"):
        updated = open_index(tmp_path / "index").search(SearchRequest(q=q, size=50))
        fresh = open_index(tmp_path / "fresh").search(SearchRequest(q=q, size=50))
        assert updated.total == fresh.total > 0
        assert {h.id for h in updated.hits} == {h.id for h in fresh.hits}

"""BulkWriter writes the segment Whoosh's own SegmentWriter would write, byte for byte."""
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from search import open_index, rebuild, update
from search.store import postings as postings_writer
from search.store.container import current_generation
from search.store.schema import BULK_FIELDS, make_schema
from search.store.postings import BulkWriter
from search.requests import SearchRequest

TERMS = st.sampled_from(["a", "b", "thông", "f:thong", "w:thông_tin", "ủy", "f:uy", "z" * 40, "ba", "bà"])
COUNTS = st.dictionaries(TERMS, st.integers(1, 300), max_size=8)
DOCS = st.lists(st.tuples(COUNTS, COUNTS), min_size=1, max_size=300)


def _segment_files(folder: Path) -> dict[str, bytes]:
    """Segment files by extension (segment names are random), the TOC left out (it holds them)."""
    files = {}
    for path in folder.iterdir():
        if path.name.startswith("MAIN_") and path.suffix != ".toc" and "WRITELOCK" not in path.name:
            files[path.name.split(".", 1)[1]] = path.read_bytes()
    return files


def _write(folder: Path, docs, bulk: bool, procs: int = 1) -> dict[str, bytes]:
    folder.mkdir()
    ix = whoosh_index.create_in(folder, make_schema())
    writer = BulkWriter(ix, BULK_FIELDS, procs=procs, compound=False) if bulk else ix.writer(compound=False)
    for number, (title, text) in enumerate(docs):
        writer.add_document(id=f"d{number}", title=title, text=text, _stored_title="t", _stored_text="x",
                            meta={}, province="Hà Nội" if number % 3 else "", fwd=number, fwd_title=len(title))
    writer.commit()
    return _segment_files(folder)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(DOCS)
def test_bulk_segment_is_whooshs_own(tmp_path_factory, docs):
    base = tmp_path_factory.mktemp("segments")
    assert _write(base / "bulk", docs, True) == _write(base / "whoosh", docs, False)


def test_long_posting_lists_fill_whole_blocks(tmp_path):
    # 128 postings to a block: lists of exactly one block, one more, and many blocks.
    docs = [({"a": 1}, {"common": 1 + n % 5, f"rare{n % 129}": 2, "ba": n + 1}) for n in range(1000)]
    assert _write(tmp_path / "bulk", docs, True) == _write(tmp_path / "whoosh", docs, False)


def test_postings_encoded_by_several_processes_are_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(postings_writer, "PARALLEL_WRITE_POSTINGS", 10)
    docs = [({"a": 1}, {"common": 1 + n % 5, f"rare{n % 129}": 2, "ba": n + 1, f"t{n}": 1}) for n in range(700)]
    whoosh = _write(tmp_path / "whoosh", docs, False)
    for procs in (2, 3):
        assert _write(tmp_path / f"bulk{procs}", docs, True, procs) == whoosh
    assert not [p for p in tmp_path.rglob("*") if ".postings-" in str(p)]  # scratch files removed


def test_a_large_corpus_is_written_as_several_segments_and_searches_alike(tmp_path, monkeypatch):
    articles = [{"id": f"a{n}", "title": f"Tin số {n}", "text": f"Hội nghị thông tin và truyền thông lần {n} ở xã Tân Phú."}
                for n in range(60)]
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.jsonl").write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles), encoding="utf-8")
    rebuild(source, tmp_path / "one")
    monkeypatch.setattr(postings_writer, "SEGMENT_POSTINGS", 200)
    rebuild(source, tmp_path / "many")
    segments = whoosh_index.open_dir(current_generation(tmp_path / "many")).reader().leaf_readers()
    assert len(segments) > 5
    for q in ("thông tin", '"truyền thông lần 7"', "tan phu", "lần 59"):
        one = open_index(tmp_path / "one").search(SearchRequest(q=q, size=60))
        many = open_index(tmp_path / "many").search(SearchRequest(q=q, size=60))
        assert [(h.id, round(h.score, 6)) for h in one.hits] == [(h.id, round(h.score, 6)) for h in many.hits]
        assert one.total == many.total > 0


def test_an_update_over_the_segment_limit_is_still_one_commit(tmp_path, monkeypatch):
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.jsonl").write_text(json.dumps({"id": "a0", "title": "Tin đầu", "text": "Hội nghị đầu năm."},
                                               ensure_ascii=False), encoding="utf-8")
    rebuild(source, tmp_path / "index")
    generation = current_generation(tmp_path / "index")
    before = whoosh_index.open_dir(generation).latest_generation()
    articles = [{"id": f"b{n}", "title": f"Tin số {n}", "text": f"Thông tin và truyền thông lần {n}."} for n in range(60)]
    (source / "b.jsonl").write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles), encoding="utf-8")
    monkeypatch.setattr(postings_writer, "SEGMENT_POSTINGS", 200)
    update(source, tmp_path / "index")
    ix = whoosh_index.open_dir(generation)
    assert ix.latest_generation() == before + 1  # readers saw the old index, then the whole update
    assert open_index(tmp_path / "index").search(SearchRequest(q="truyền thông", size=1)).total == 60

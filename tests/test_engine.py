"""The numpy query engine: phrases on the forward file, scores, and updates that move documents."""
import numpy as np
import pytest
from search.query.tree import Or, Term

from helpers import index_of, write_articles
from search import open_index, rebuild, update
from search.store.container import current_generation
from search.store.forward import FORWARD
from search.requests import SearchRequest
from search.snapshot import Snapshot

ARTICLES = [
    {"id": "t-title", "title": "Thông tin và truyền thông tỉnh nhà", "text": "Bài viết về hội nghị năm nay."},
    {"id": "t-text", "title": "Hội nghị tổng kết",
     "text": "Sở thông tin và truyền thông tổ chức hội nghị tổng kết công tác năm."},
    {"id": "t-apart", "title": "Tin vắn",
     "text": "Thông báo: truyền hình và thông tin từ các huyện; truyền thông xã hội."},
    {"id": "t-ban", "title": "Bàn tròn", "text": "Chiếc bàn gỗ được đặt giữa phòng họp của xã."},
    {"id": "t-ban2", "title": "Bản tin sáng", "text": "Bản tin thời sự về bản làng vùng cao."},
]


@pytest.fixture(scope="module")
def engine_index(tmp_path_factory):
    return index_of(tmp_path_factory, ARTICLES, "engine")


def ids(index, q, **kwargs):
    return [h.id for h in index.search(SearchRequest(q=q, size=20, **kwargs)).hits]


def test_a_phrase_matches_words_in_order_only(engine_index):
    index = open_index(engine_index)
    found = ids(index, '"thông tin và truyền thông"')
    assert set(found) == {"t-title", "t-text"}  # t-apart has the words, not the phrase
    assert set(ids(index, '"thong tin va truyen thong"')) == {"t-title", "t-text"}


def test_a_title_phrase_is_not_found_across_the_title_and_text_boundary(engine_index):
    index = open_index(engine_index)
    # "nhà" ends the title of t-title and "bài" starts its text: not a phrase of either field.
    assert ids(index, '"tỉnh nhà bài viết"') == []
    assert ids(index, 'title:"truyền thông tỉnh nhà"') == ["t-title"]
    assert ids(index, 'title:"hội nghị"') == ["t-text"]


def test_title_matches_count_double(engine_index):
    view = Snapshot.open(engine_index)
    title = view.engine.scores(Or((Term("title", "f:tong"),)).with_boost(2.0))[1]
    plain = view.engine.scores(Term("title", "f:tong"))[1]
    assert np.allclose(title, 2 * plain) and title.max() > 0


def test_exact_accents_rank_above_folded_matches(engine_index):
    index = open_index(engine_index)
    assert ids(index, "bản")[0] == "t-ban2"
    assert ids(index, "bàn")[0] == "t-ban"
    assert set(ids(index, "ban")) >= {"t-ban", "t-ban2"}


def test_phrases_still_match_after_updates_move_documents(engine_index, tmp_path):
    work = tmp_path / "src"
    write_articles(work, "a.jsonl", ARTICLES)
    index_dir = tmp_path / "index"
    rebuild(work, index_dir)
    for round_number in range(3):  # new segments, merges, deleted documents
        write_articles(work, f"more-{round_number}.jsonl", [
            {"id": f"n{round_number}", "title": f"Tin số {round_number}",
             "text": "Trung tâm thông tin và truyền thông huyện vừa khai trương."}])
        update(work, index_dir)
    (work / "a.jsonl").unlink()
    write_articles(work, "a2.jsonl", ARTICLES[1:])
    update(work, index_dir)
    index = open_index(index_dir)
    assert set(ids(index, '"thông tin và truyền thông"')) == {"t-text", "n0", "n1", "n2"}
    assert ids(index, '"khai trương"', sort="oldest") != []


def test_an_unfinished_forward_tail_is_cut_and_never_read(engine_index, tmp_path):
    work = tmp_path / "src"
    write_articles(work, "a.jsonl", ARTICLES)
    index_dir = tmp_path / "index"
    rebuild(work, index_dir)
    forward = current_generation(index_dir) / FORWARD
    with open(forward, "ab") as handle:  # what a killed update may leave behind
        handle.write(b"\x07\x00\x00")
    write_articles(work, "b.jsonl", [{"id": "late", "title": "Muộn", "text": "Thông tin và truyền thông cuối ngày."}])
    update(work, index_dir)
    assert forward.stat().st_size % 4 == 0
    index = open_index(index_dir)
    assert set(ids(index, '"thông tin và truyền thông"')) == {"t-title", "t-text", "late"}


def test_the_vocabulary_reads_each_segment_and_sums_document_frequencies(engine_index, tmp_path):
    """Vocabulary.from_reader reads Whoosh's term files segment by segment (fast); it must
    give what Whoosh's own merged iteration gives."""
    from collections import defaultdict

    from search.store.codec import open_whoosh
    from search.store.codec import doc_frequencies as _doc_frequencies

    source = tmp_path / "src"
    write_articles(source, "a.jsonl", ARTICLES)
    write_articles(source, "b.jsonl", [{"id": "t-more", "title": "Hội nghị bàn tròn", "text": "Thông tin mới về bản tin."}])
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    write_articles(source, "c.jsonl", [{"id": "t-late", "title": "Bản tin tối", "text": "Hội nghị thông tin xã."}])
    update(source, index_dir)
    _, ix = open_whoosh(index_dir)
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) > 1  # the sum over segments is exercised
        expected = defaultdict(int)
        for term, info in reader.iter_field("text"):
            if not term.startswith(b"f:"):
                expected[term] += info.doc_frequency()
        assert dict(_doc_frequencies(reader, "text")) == dict(expected)
        assert dict(_doc_frequencies(reader, "title"))[b"w:h\xe1\xbb\x99i_ngh\xe1\xbb\x8b"] == 2  # "Hội nghị tổng kết", "Hội nghị bàn tròn"

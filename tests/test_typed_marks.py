"""Find exactly what was typed (SPEC §4, §5): a syllable typed with marks selects exactly that
syllable, one typed without selects every form; words in any order; the typed sequence first;
highlights as typed; a marks-ignored fallback said out loud; compatibility letters."""
import unicodedata

import pytest

from search.store.manifest import write_manifest

from helpers import index_of, write_articles
from search import open_index, rebuild, update
from search.store.container import current_generation
from search.store.container import MARKS
from search.requests import SearchRequest

ARTICLES = [
    {"id": "storm", "title": "Cơn bão số 9 đổ bộ", "text": "Bão mạnh gây gió lớn ở ven biển.", "date": "2020-10-01"},
    {"id": "forecast", "title": "Dự báo thời tiết", "text": "Trung tâm dự báo cho biết trời nắng.",
     "date": "2020-10-05"},
    {"id": "insurance", "title": "Mũ bảo hiểm", "text": "Người đi xe máy phải đội mũ bảo hiểm.",
     "date": "2020-10-06"},
    {"id": "howmuch", "title": "Cần bao nhiêu tiền", "text": "Một gia đình cần bao nhiêu tiền mỗi tháng.",
     "date": "2020-10-07"},
    {"id": "petrol-price", "title": "Giá xăng tăng", "text": "Giá xăng RON 95 tăng 300 đồng mỗi lít.",
     "date": "2020-09-01"},
    {"id": "fake-petrol", "title": "Bắt lô xăng giả", "text": "Công an thu giữ xăng giả tại một cây xăng.",
     "date": "2020-11-01"},
    {"id": "storm-flood", "title": "Bão lũ miền Trung",
     "text": "Bão lũ ở miền Trung làm nhiều nhà bị ngập.", "date": "2020-10-20"},
    {"id": "scattered", "title": "Tin thời tiết",
     "text": "Miền Trung có mưa. Sau cơn bão, nước lũ dâng cao.", "date": "2020-10-21"},
    {"id": "no-flood", "title": "Miền Trung đón bão", "text": "Cơn bão đi qua miền Trung nhanh.",
     "date": "2020-10-22"},
    {"id": "name", "title": "Tưởng nhớ Thủ tướng", "text": "Thủ tướng Phạm Văn Đồng sinh năm 1906.",
     "date": "2006-05-01"},
    {"id": "near-name", "title": "Phạm Văn Quyến trở lại", "text": "Cầu thủ Phạm Văn Quyến vận động viên "
     "khác cùng tập luyện; đồng đội đón anh.", "date": "2006-06-01"},
    {"id": "name-in-text-late", "title": "Đường mang tên",
     "text": "Con đường rộng, nhiều cây xanh. Đường Phạm Văn Đồng được mở rộng.", "date": "2015-01-01"},
    {"id": "wide", "title": "ｔｉｎ ｔｕｃ ＴＰ．ＨＣＭ", "text": "Bản tin viết bằng chữ toàn khổ: ｂａｏ ｌｕ."},
    {"id": "wrong-adjacent", "title": "Tin vắn", "text": "Tờ báo lũ lượt đưa tin; sau đó bão tan."},
]


@pytest.fixture(scope="module")
def marks_index(tmp_path_factory, backend):
    return open_index(index_of(tmp_path_factory, ARTICLES, "marks", backend))


def found(index, q, **kwargs):
    return {h.id for h in index.export(SearchRequest(q=q, **kwargs))}


def ranked(index, q, **kwargs):
    return [h.id for h in index.search(SearchRequest(q=q, size=50, **kwargs)).hits]


def test_a_syllable_typed_with_marks_selects_only_that_syllable(marks_index):
    assert found(marks_index, "bão") == {"storm", "storm-flood", "scattered", "no-flood", "wrong-adjacent"}
    assert found(marks_index, "báo") == {"forecast", "wrong-adjacent"}
    assert found(marks_index, "bảo") == {"insurance"}


def test_a_syllable_typed_without_marks_selects_every_form(marks_index):
    assert {"storm", "forecast", "insurance", "howmuch", "wide"} <= found(marks_index, "bao")


def test_date_sorting_counts_and_facets_follow_the_typed_marks(marks_index):
    result = marks_index.search(SearchRequest(q="bão", sort="newest", size=3))
    assert result.total == 5
    assert [h.id for h in result.hits] == ["no-flood", "scattered", "storm-flood"]
    assert sum(v.count for v in result.facets["year"]) == 5


def test_a_term_typed_with_marks_never_finds_its_anagram(marks_index):
    assert found(marks_index, "giá xăng") == {"petrol-price"}
    assert ranked(marks_index, "giá xăng", sort="newest") == ["petrol-price"]


def test_a_quoted_phrase_checks_the_marks_of_each_place(marks_index):
    # "báo lũ" stands side by side in wrong-adjacent, and "bão" elsewhere: not the phrase "bão lũ"
    assert found(marks_index, '"bão lũ"') == {"storm-flood"}
    assert found(marks_index, '"bao lu"') == {"storm-flood", "wrong-adjacent", "wide"}


@pytest.mark.parametrize("q", ["bão lũ miền Trung", "miền Trung bão lũ", "bão miền Trung lũ", "lũ bão miền Trung"])
def test_all_words_in_any_order_select_the_same_articles(marks_index, q):
    result = marks_index.search(SearchRequest(q=q, size=50))
    assert result.matching == "all" and result.notices == []
    assert {h.id for h in result.hits} == {"storm-flood", "scattered"}  # no-flood lacks "lũ"


def test_marks_stripped_split_alike_and_find_every_form(marks_index):
    assert found(marks_index, "bao lu mien trung") >= found(marks_index, "bão lũ miền Trung")


def test_the_typed_sequence_ranks_first_in_the_title_then_in_the_text(marks_index):
    assert ranked(marks_index, "bão lũ miền Trung")[0] == "storm-flood"
    names = ranked(marks_index, "Phạm Văn Đồng")
    assert names[:2] == ["name", "name-in-text-late"]
    assert ranked(marks_index, "pham van dong")[:2] == ["name", "name-in-text-late"]


def test_highlights_mark_the_typed_forms_only(marks_index):
    hits = marks_index.search(SearchRequest(q="bão", size=50)).hits
    html = " ".join(h.title_html + h.snippet_html for h in hits).lower()
    assert "<mark>bão</mark>" in html
    assert "<mark>báo</mark>" not in html and "<mark>bảo</mark>" not in html
    for hit in marks_index.search(SearchRequest(q="Phạm Văn Đồng", size=50)).hits:
        assert "<mark>vận động</mark>" not in hit.snippet_html.lower()


def test_highlights_of_an_accentless_query_mark_every_form(marks_index):
    hit = next(h for h in marks_index.search(SearchRequest(q="bao", size=20)).hits if h.id == "forecast")
    assert "<mark>báo</mark>" in (hit.title_html + hit.snippet_html).lower()


def test_a_query_with_wrong_marks_falls_back_to_marks_ignored_and_says_so(marks_index):
    result = marks_index.search(SearchRequest(q="bảo lụ"))
    assert result.accents == "ignored"
    assert {h.id for h in result.hits} >= {"storm-flood"}
    assert any("không phân biệt dấu" in n for n in result.notices)
    assert result.to_dict()["accents"] == "ignored"


def test_accents_ignore_asks_for_every_form_directly(marks_index):
    result = marks_index.search(SearchRequest(q="bão", accents="ignore", size=50))
    assert result.accents == "ignored"
    assert {"storm", "forecast", "insurance", "howmuch"} <= {h.id for h in result.hits}
    assert marks_index.search(SearchRequest(q="bão")).accents == "exact"


def test_the_any_word_fallback_says_which_word_is_missing(marks_index):
    result = marks_index.search(SearchRequest(q="bão zzqxw"))
    assert result.matching == "any" and result.total > 0
    assert result.notices == ["Không có bài nào chứa «zzqxw»; đang hiện các bài chứa một số từ."]


@pytest.mark.parametrize("q", ["ｂａｏ ｌｕ", "ｔｉｎ ｔｕｃ"])
def test_full_width_letters_search_as_plain_letters(marks_index, q):
    assert "wide" in found(marks_index, q)


def test_full_width_text_is_found_and_highlighted_at_its_own_offsets(marks_index):
    hit = next(h for h in marks_index.search(SearchRequest(q="bao lu", size=50)).hits if h.id == "wide")
    assert "<mark>ｂａｏ ｌｕ</mark>" in hit.snippet_html


def test_decomposed_marks_search_like_precomposed(marks_index):
    assert found(marks_index, unicodedata.normalize("NFD", "bão")) == found(marks_index, "bão")


def test_update_keeps_marks_aligned_with_the_forward_file(tmp_path):
    source, index_dir = tmp_path / "src", tmp_path / "index"
    write_articles(source, "a.jsonl", ARTICLES[:4])
    rebuild(source, index_dir)
    write_articles(source, "b.jsonl", [{"id": "late", "title": "Tin mới", "text": "Báo lũ lượt, rồi bão lũ về."}])
    update(source, index_dir)
    index = open_index(index_dir)
    assert found(index, '"bão lũ"') == {"late"}
    assert found(index, '"báo lũ"') == {"late"}
    assert index.search(SearchRequest(q='"bảo lũ"')).accents == "ignored"  # nothing with these marks


def test_an_index_without_marks_still_finds_phrases_and_is_updated_aligned(tmp_path):
    source, index_dir = tmp_path / "src", tmp_path / "index"
    write_articles(source, "a.jsonl", ARTICLES)
    rebuild(source, index_dir)
    generation = current_generation(index_dir)
    (generation / MARKS).unlink()
    for part in generation.glob("positions-*.marks.npy"):
        part.unlink()
    write_manifest(generation)  # as that index was: its files, without marks, all listed
    old = open_index(index_dir)
    assert found(old, '"bão lũ"') >= {"storm-flood"}  # every form of each place matches
    write_articles(source, "b.jsonl", [{"id": "late", "title": "Tin mới", "text": "Báo lũ lượt về."}])
    update(source, index_dir)
    index = open_index(index_dir)
    assert (generation / MARKS).stat().st_size == 2 * (generation / "forward.u32").stat().st_size // 4
    assert "late" not in found(index, '"bão lũ"')
    assert "late" in found(index, '"báo lũ"')

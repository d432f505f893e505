"""Proximity ("bão lũ"~5: the syllables in any order, at most N other syllables among them) and
prefixes (thông*: the index's syllables beginning so, marks as typed), alone and with the rest of
the query language (SPEC §5)."""
import pytest

from helpers import client_of, index_of
from search import open_index
from search.query import parse
from search.query.limits import MAX_SLOP
from search.requests import SearchRequest

ARTICLES = [
    {"id": "four-between", "title": "Thời tiết", "text": "Cơn bão số chín đã gây lũ lớn ở miền núi.",
     "province": "Quảng Nam"},
    {"id": "five-between", "title": "Thời tiết", "text": "Cơn bão số chín đã gây ra lũ lớn ở miền núi."},
    {"id": "six-between", "title": "Thời tiết", "text": "Cơn bão số chín đã gây ra nhiều lũ lớn."},
    {"id": "reversed", "title": "Mưa lớn", "text": "Nước lũ dâng cao sau cơn bão.", "province": "Huế"},
    {"id": "adjacent", "title": "Bão lũ miền Trung", "text": "Người dân chuẩn bị."},
    {"id": "other-marks", "title": "Tin vắn", "text": "Tờ báo đưa tin lũ về sớm."},
    {"id": "title-and-text", "title": "Tin bão", "text": "Lũ dâng cao khắp nơi."},
    {"id": "far-apart", "title": "Tổng hợp",
     "text": "Cơn bão đi qua. Người dân dọn dẹp nhà cửa, trường học mở cửa lại, chợ họp như "
             "thường lệ, đường sá thông thoáng, rồi tuần sau mới có lũ."},
    {"id": "ends-with-storm", "title": "Dự báo", "text": "Tuần tới có thể có bão"},
    {"id": "starts-with-flood", "title": "Lũ quét ở vùng cao", "text": "Nhiều nhà bị cuốn trôi."},
    {"id": "twice", "title": "Lũ chồng lũ", "text": "Lũ nối tiếp lũ, người dân khốn khó."},
    {"id": "communication", "title": "Truyền thông", "text": "Sở Thông tin và Truyền thông họp báo.",
     "province": "Long An"},
    {"id": "unified", "title": "Thống nhất", "text": "Ngày thống nhất đất nước."},
    {"id": "village", "title": "Làng quê", "text": "Thôn xóm yên bình, thôi không còn ồn ào."},
    {"id": "rest", "title": "Nghỉ ngơi", "text": "Công nhân được nghỉ phép và nghĩ về gia đình."},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory, backend):
    return open_index(index_of(tmp_path_factory, ARTICLES, "proximity", backend))


def found(index, q, **kwargs):
    return {a.id for a in index.export(SearchRequest(q=q, **kwargs))}


def test_proximity_counts_the_syllables_between_exactly_n_in_n_plus_one_out(index):
    assert {"four-between", "five-between"} <= found(index, '"bão lũ"~5')
    assert "six-between" not in found(index, '"bão lũ"~5')
    assert "five-between" not in found(index, '"bão lũ"~4')
    assert "four-between" in found(index, '"bão lũ"~4')


def test_proximity_takes_any_order(index):
    assert "reversed" in found(index, '"bão lũ"~4')  # lũ, dâng cao sau cơn, bão
    assert "reversed" not in found(index, '"bão lũ"~3')
    assert found(index, '"lũ bão"~5') == found(index, '"bão lũ"~5')


def test_proximity_zero_is_side_by_side_in_either_order(index):
    assert found(index, '"bão lũ"~0') == {"adjacent"}
    assert found(index, '"lũ bão"~0') == {"adjacent"}


def test_proximity_keeps_typed_marks(index):
    assert "other-marks" not in found(index, '"bão lũ"~5')
    assert "other-marks" in found(index, '"báo lũ"~5')
    assert {"other-marks", "four-between"} <= found(index, '"bao lu"~5')


def test_proximity_stays_within_one_field_of_one_article(index):
    selected = found(index, '"bão lũ"~5')
    assert "title-and-text" not in selected  # "bão" ends the title, "Lũ" opens the text
    assert "ends-with-storm" not in selected and "starts-with-flood" not in selected


def test_far_apart_words_need_a_larger_distance(index):
    assert "far-apart" not in found(index, '"bão lũ"~5')
    assert "far-apart" in found(index, '"bão lũ"~40')


def test_a_syllable_asked_twice_needs_two_occurrences(index):
    assert found(index, '"lũ lũ"~1') == {"twice"}  # "Lũ chồng lũ": one syllable between


def test_proximity_combines_with_filters_exclusions_fields_and_or(index):
    assert found(index, '"bão lũ"~5 province:"Quảng Nam"') == {"four-between"}
    assert "four-between" not in found(index, '"bão lũ"~5 -núi')
    assert found(index, 'title:"lũ bão"~0') == {"adjacent"}
    assert found(index, '-"bão lũ"~5 "bão lũ"~40') == {"far-apart", "six-between"}
    assert found(index, '"bão lũ"~0 OR "thống nhất"') == {"adjacent", "unified"}


def test_proximity_highlights_each_syllable(index):
    hit = index.search(SearchRequest(q='"bão lũ"~5 province:"Quảng Nam"')).hits[0]
    assert "<mark>bão</mark>" in hit.snippet_html and "<mark>lũ</mark>" in hit.snippet_html


def test_prefix_with_marks_expands_only_to_those_letters(index):
    assert found(index, "thông*") == {"communication", "far-apart"}  # thông, thông thoáng; not thống
    assert found(index, "thố*") == {"unified"}
    assert found(index, "thô*") == {"communication", "far-apart", "village"}  # thôn, thôi, thông


def test_prefix_without_marks_expands_to_every_form(index):
    assert {"communication", "unified", "far-apart"} <= found(index, "thong*")
    assert "village" not in found(index, "thong*")
    assert found(index, "nghi*") == {"rest"}  # nghỉ, nghĩ


def test_prefix_differs_from_the_whole_syllable(index):
    assert found(index, "thôn") == {"village"}
    assert {"village", "communication"} <= found(index, "thôn*")


def test_prefix_combines_with_the_language(index):
    assert found(index, "thông* province:\"Long An\"") == {"communication"}
    assert found(index, "thông* -truyền") == {"far-apart"}
    assert found(index, "title:thông*") == {"communication"}
    assert "communication" not in found(index, "thông* OR thố* -thông*")
    assert found(index, "thống* OR nghỉ*") == {"unified", "rest"}
    assert found(index, "truyền thông*") == {"communication"}


def test_prefix_no_syllable_begins_with_finds_nothing(index):
    result = index.search(SearchRequest(q="xyzq*"))
    assert result.total == 0


def test_prefix_highlights_the_syllables_it_stood_for(index):
    hit = index.search(SearchRequest(q="thố*")).hits[0]
    assert "<mark>thống</mark>" in hit.snippet_html


def test_a_cut_expansion_says_so_in_vietnamese(index, monkeypatch):
    monkeypatch.setattr("search.query.parser.MAX_PREFIX_TERMS", 1)
    result = index.search(SearchRequest(q="thô*"))
    assert any("Tiền tố «thô*»" in n and "1 từ" in n for n in result.notices)
    assert result.total >= 1
    assert not any("Tiền tố" in n for n in index.search(SearchRequest(q="thố*")).notices)


def test_an_oversized_distance_is_capped_with_a_notice(index):
    result = index.search(SearchRequest(q='"bão lũ"~99999999999999'))
    assert "far-apart" in {h.id for h in result.hits} or result.total > 0
    assert any(f"~{MAX_SLOP}" in n for n in result.notices)


@pytest.mark.parametrize("q", ['"bão lũ"~', "~x", "*", "**", "***", "~", '"bão lũ"~x', '""~5', '"bão"~5',
                               "thông**", "*thông", "th*ng", "-*", "title:*", "title:thông*~2", '~5"bão lũ"',
                               '"bão lũ"~5~5', "thông* OR", "OR thông*", "-thông*"])
def test_odd_syntax_reads_literally_and_never_fails(index, q):
    result = index.search(SearchRequest(q=q))
    assert result.total >= 0


def test_odd_syntax_reads_sensibly(index):
    assert found(index, '"bão lũ"~') == found(index, '"bão lũ"')  # a lone ~ is ignored
    assert found(index, "*") == {a["id"] for a in ARTICLES}  # no word: every article
    assert found(index, "thông**") == found(index, "thông*")
    assert found(index, '"bão"~5') == found(index, "bão")


def test_parse_reads_the_operators():
    parsed = parse('"bão lũ"~5 thông* -"a b"~2')
    near, prefix = parsed.units
    assert near.slop == 5 and near.syllables == ["bão", "lũ"]
    assert prefix.prefix and prefix.syllables == ["thông"] and prefix.expansions == []
    assert parsed.excluded[0].slop == 2


def test_web_and_api_answer_operators_without_error(tmp_path_factory):
    client = client_of(index_of(tmp_path_factory, ARTICLES, "proximity-web"))
    for q in ('"bão lũ"~5', "thông*", "*", "**", '"a b"~', "~x"):
        page = client.get("/search", query_string={"q": q})
        assert page.status_code == 200, q
        api = client.get("/api/search", query_string={"q": q})
        assert api.status_code == 200 and "hits" in api.get_json(), q

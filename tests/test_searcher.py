"""Search behaviour over the bundled articles and the small test articles."""
import pytest

from search.errors import ArticleNotFound, BadRequest
from search.requests import SearchRequest

SEED_BAC_NINH = "001_4a7d02fcda62732a.txt"
SEED_PHU_THO = "002_a7ce9007b7fbc9d3.txt"
SEED_HCM = "003_f5d22e43c3d5e2af.txt"
SEED_LONG_AN = "004_cb6f3e124aee11ae.txt"
SEED_NO_PROVINCE = "000_9dbbb5d41eb3b28f.txt"


def ids(result):
    return [h.id for h in result.hits]


def facet(result, name):
    return {v.value: v.count for v in result.facets[name]}


def test_dai_hoi_finds_all_five_with_marked_snippets(sample_index):
    result = sample_index.search(SearchRequest(q="đại hội"))
    assert result.total == 5
    assert all("<mark>" in h.snippet_html for h in result.hits)


def test_accentless_query_finds_accented_articles(sample_index):
    assert sample_index.search(SearchRequest(q="dai hoi")).total == 5


def test_province_facet_lists_each_seed_province_once(sample_index):
    provinces = facet(sample_index.search(SearchRequest(q="đại hội")), "province")
    for name in ("Bắc Ninh", "Phú Thọ", "Hồ Chí Minh", "Long An"):
        assert provinces.get(name) == 1
    assert provinces.get("Không rõ") == 1


def test_province_filter_returns_only_that_province(sample_index):
    result = sample_index.search(SearchRequest(q="đại hội", filters={"province": ["Long An"]}))
    assert ids(result) == [SEED_LONG_AN]


def test_province_2025_filter_uses_the_merger_mapping(sample_index):
    result = sample_index.search(SearchRequest(q="đại hội", filters={"province_2025": ["Tây Ninh"]}))
    assert ids(result) == [SEED_LONG_AN]


def test_year_facet_shows_2022_once(sample_index):
    assert facet(sample_index.search(SearchRequest(q="đại hội")), "year").get("2022") == 1


def test_filter_values_match_case_and_accent_insensitively(sample_index):
    result = sample_index.search(SearchRequest(filters={"province": ["long an"]}))
    assert ids(result) == [SEED_LONG_AN]
    result = sample_index.search(SearchRequest(filters={"province": ["bac ninh"]}))
    assert ids(result) == [SEED_BAC_NINH]


def test_unknown_bucket_selects_articles_without_the_field(sample_index):
    result = sample_index.search(SearchRequest(filters={"province": ["Không rõ"]}))
    assert ids(result) == [SEED_NO_PROVINCE]


def test_facet_counts_ignore_their_own_filter(sample_index):
    result = sample_index.search(SearchRequest(q="đại hội", filters={"province": ["Bắc Ninh"]}))
    assert result.total == 1
    provinces = {v.value: (v.count, v.selected) for v in result.facets["province"]}
    assert provinces["Bắc Ninh"] == (1, True)
    assert provinces["Long An"] == (1, False)
    assert facet(result, "year") == {"2020": 1}


def test_values_of_one_facet_are_ored_and_facets_anded(sample_index):
    result = sample_index.search(SearchRequest(filters={"province": ["Bắc Ninh", "Long An"]}))
    assert sorted(ids(result)) == sorted([SEED_BAC_NINH, SEED_LONG_AN])
    result = sample_index.search(SearchRequest(filters={"province": ["Bắc Ninh", "Long An"], "year": ["2022"]}))
    assert result.total == 0


def test_empty_query_lists_all_newest_first_with_undated_last(sample_index):
    result = sample_index.search(SearchRequest())
    assert result.total == 5
    assert ids(result) == [SEED_PHU_THO, SEED_HCM, SEED_LONG_AN, SEED_BAC_NINH, SEED_NO_PROVINCE]


def test_oldest_sort_also_puts_undated_last(sample_index):
    result = sample_index.search(SearchRequest(q="đại hội", sort="oldest"))
    assert ids(result) == [SEED_BAC_NINH, SEED_LONG_AN, SEED_HCM, SEED_PHU_THO, SEED_NO_PROVINCE]


def test_date_range_filter_is_inclusive(sample_index):
    result = sample_index.search(SearchRequest(date_from="2020-06-01", date_to="2020-06-26"))
    assert sorted(ids(result)) == sorted([SEED_LONG_AN, SEED_HCM])


def test_pages_split_the_results(sample_index):
    pages = [ids(sample_index.search(SearchRequest(q="đại hội", page=p, size=2))) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert len({i for p in pages for i in p}) == 5
    assert sample_index.search(SearchRequest(q="đại hội", page=9, size=2)).hits == []


@pytest.mark.parametrize("request_", [
    SearchRequest(page=0), SearchRequest(size=0), SearchRequest(size=100_000), SearchRequest(sort="best"),
    SearchRequest(filters={"year": ["abc"]}), SearchRequest(date_from="yesterday"),
    SearchRequest(filters={"colour": ["red"]}), SearchRequest(date_from="2021-01-01", date_to="2020-12-31"),
])
def test_bad_parameters_are_refused_with_a_message(sample_index, request_):
    with pytest.raises(BadRequest) as error:
        sample_index.search(request_)
    assert str(error.value) and "\n" not in str(error.value)


def test_three_words_must_all_match_else_any_is_said(sample_index):
    result = sample_index.search(SearchRequest(q="đại hội zzzqqq"))
    assert result.matching == "any" and result.total == 5
    assert sample_index.search(SearchRequest(q="đại hội Long An")).matching == "all"


def test_exclusion_removes_articles(sample_index):
    result = sample_index.search(SearchRequest(q="đại hội -PhuthoPortal"))
    assert SEED_PHU_THO not in ids(result) and result.total == 4


def test_or_finds_either(sample_index):
    result = sample_index.search(SearchRequest(q='"Tân An" OR "Cần Giờ" OR PhuthoPortal'))
    assert sorted(ids(result)) == sorted([SEED_LONG_AN, SEED_PHU_THO])


def test_phrase_needs_the_words_in_order(sample_index):
    assert ids(sample_index.search(SearchRequest(q='"Tân An"'))) == [SEED_LONG_AN]
    assert sample_index.search(SearchRequest(q='"An Tân"')).total == 0


def test_accentless_phrase_works_across_segmentation(sample_index):
    exact = sample_index.search(SearchRequest(q='"thông tin và truyền thông"')).total
    assert exact == 5
    assert sample_index.search(SearchRequest(q='"thong tin va truyen thong"')).total == 5


def test_field_filters_in_the_query(sample_index):
    assert ids(sample_index.search(SearchRequest(q="đại hội province:\"Long An\""))) == [SEED_LONG_AN]
    assert ids(sample_index.search(SearchRequest(q="year:2022"))) == [SEED_PHU_THO]
    result = sample_index.search(SearchRequest(q="year:2021..2022"))
    assert ids(result) == [SEED_PHU_THO]


def test_title_field_searches_titles_only(sample_index):
    result = sample_index.search(SearchRequest(q="title:khai"))
    assert ids(result) == [SEED_NO_PROVINCE]


@pytest.mark.parametrize("q", ['"unterminated', "OR", "-", "title:", "year:abc", "((", "AND OR NOT",
                               "<script>alert(1)</script>", "\u0000\uffff", "province:", "a" * 999])
def test_any_string_is_a_valid_query(sample_index, q):
    result = sample_index.search(SearchRequest(q=q))
    assert result.total >= 0
    for hit in result.hits:
        assert "<script>" not in hit.snippet_html + hit.title_html


def test_get_returns_the_article_and_unknown_id_raises(sample_index):
    assert sample_index.get(SEED_LONG_AN).title.startswith("Ông Nguyễn Bá Luân")
    with pytest.raises(ArticleNotFound):
        sample_index.get("no-such-article")


def test_export_yields_every_result_not_one_page(sample_index):
    exported = list(sample_index.export(SearchRequest(q="đại hội", size=1)))
    assert len(exported) == 5


def test_scores_are_present_for_relevance_and_absent_for_date_sorts(sample_index):
    assert all(h.score for h in sample_index.search(SearchRequest(q="đại hội")).hits)
    assert all(h.score is None for h in sample_index.search(SearchRequest(q="đại hội", sort="newest")).hits)


def test_export_checks_its_request_before_streaming(sample_index):
    with pytest.raises(BadRequest):
        sample_index.export(SearchRequest(date_from="yesterday"))

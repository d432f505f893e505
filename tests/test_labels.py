"""Category and source codes show as Vietnamese labels (SPEC §7), from search/data/labels.json:
stored as labels at ingest, so facets, filters, JSON, exports and pages agree; a filter given as
a code is read as its label; unknown codes are kept as they are; `trang-chu` is no category."""
from __future__ import annotations

import pytest

from search import open_index
from search.ingest.metadata import article_fields_from_record
from search.labels import filter_value, label
from search.requests import SearchRequest
from helpers import client_of, index_of
from web.params import toggled

BODY = "Nội dung bài viết về học tập và đời sống của học sinh, sinh viên trong năm học mới."

# Every category and source code of the four news corpora that is not already Vietnamese.
CORPUS_CODES = {
    ("category", "tin-tuc-trong-ngay"): "Tin tức trong ngày",
    ("category", "bong-da"): "Bóng đá",
    ("category", "thoi-trang"): "Thời trang",
    ("category", "hi-tech"): "Hi-tech",
    ("category", "giao-duc-du-hoc"): "Giáo dục - Du học",
    ("category", "ban-tre-cuoc-song"): "Bạn trẻ - Cuộc sống",
    ("category", "the-thao"): "Thể thao",
    ("category", "phim"): "Phim",
    ("category", "business"): "Kinh doanh",
    ("category", "education"): "Giáo dục",
    ("category", "entertainment"): "Giải trí",
    ("category", "health"): "Sức khỏe",
    ("category", "science"): "Khoa học",
    ("category", "society"): "Xã hội",
    ("category", "sport"): "Thể thao",
    ("category", "tech"): "Công nghệ",
    ("category", "travel"): "Du lịch",
    ("category", "world"): "Thế giới",
    ("source", "24h"): "24h",
    ("source", "dantri"): "Dân trí",
    ("source", "baomoi"): "Báo Mới",
}


@pytest.mark.parametrize("field, code", sorted(CORPUS_CODES))
def test_every_corpus_code_has_its_vietnamese_label(field, code):
    assert label(field, code) == CORPUS_CODES[field, code]
    assert label(field, code.upper()) == CORPUS_CODES[field, code]


@pytest.mark.parametrize("field, value", [
    ("category", "Nhà vườn"), ("category", "Chính trị Xã hội"), ("category", "some-new-section"),
    ("source", "VnExpress"), ("source", "Báo Long An"),
])
def test_unknown_codes_and_labels_are_kept_as_they_are(field, value):
    assert label(field, value) == value
    assert filter_value(field, value) == value


def test_home_page_is_not_a_category():
    assert label("category", "trang-chu") is None
    fields = article_fields_from_record({"title": "Tin trang chủ", "text": BODY, "category": "trang-chu"})
    assert fields["category"] is None


def test_a_record_is_stored_with_labels_not_codes():
    fields = article_fields_from_record(
        {"title": "Học sinh trở lại trường", "text": BODY, "category": "education", "source": "dantri"})
    assert (fields["category"], fields["source"]) == ("Giáo dục", "Dân trí")


ARTICLES = [
    {"id": "d1", "title": "Học sinh Hà Nội trở lại trường", "text": BODY, "category": "education", "source": "dantri"},
    {"id": "d2", "title": "Người dân góp sức xây cầu", "text": BODY, "category": "society", "source": "dantri"},
    {"id": "h1", "title": "Du học sinh nhận học bổng", "text": BODY, "category": "giao-duc-du-hoc", "source": "24h"},
    {"id": "h2", "title": "Tin nổi bật trên trang chủ", "text": BODY, "category": "trang-chu", "source": "24h"},
    {"id": "b1", "title": "Trồng rau sạch trên sân thượng", "text": BODY, "category": "Nhà vườn", "source": "baomoi"},
    # Two sources spell one topic with the tone mark in either place: one filter selects both.
    {"id": "b2", "title": "Ngủ đủ giấc giúp tim khỏe", "text": BODY, "category": "Sức khoẻ", "source": "baomoi"},
    {"id": "v1", "title": "Uống đủ nước mỗi ngày", "text": BODY, "category": "Sức khỏe", "source": "VnExpress"},
]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    return index_of(tmp_path_factory, ARTICLES, "labels")


def facet(result, name):
    return {v.value: (v.count, v.selected) for v in result.facets[name]}


def test_facets_show_labels_and_home_page_articles_as_unknown(labelled):
    result = open_index(labelled).search(SearchRequest())
    assert facet(result, "category") == {"Giáo dục": (1, False), "Xã hội": (1, False),
                                         "Giáo dục - Du học": (1, False), "Nhà vườn": (1, False),
                                         "Sức khoẻ": (1, False), "Sức khỏe": (1, False), "Không rõ": (1, False)}
    assert facet(result, "source") == {"Dân trí": (2, False), "24h": (2, False), "Báo Mới": (2, False),
                                       "VnExpress": (1, False)}


@pytest.mark.parametrize("value", ["Sức khỏe", "Sức khoẻ", "health", "suc khoe"])
def test_a_filter_selects_every_spelling_of_its_value(labelled, value):
    result = open_index(labelled).search(SearchRequest(filters={"category": [value]}))
    assert sorted(h.id for h in result.hits) == ["b2", "v1"]


@pytest.mark.parametrize("value", ["education", "Giáo dục", "giao duc", "EDUCATION"])
def test_filters_accept_the_label_or_the_code(labelled, value):
    result = open_index(labelled).search(SearchRequest(filters={"category": [value]}))
    assert [h.id for h in result.hits] == ["d1"]
    assert facet(result, "category")["Giáo dục"] == (1, True)
    assert "education" not in facet(result, "category")


def test_a_source_code_filter_and_query_field_select_the_labelled_source(labelled):
    index = open_index(labelled)
    by_filter = index.search(SearchRequest(filters={"source": ["dantri"]}))
    assert sorted(h.id for h in by_filter.hits) == ["d1", "d2"]
    by_field = index.search(SearchRequest(q="category:giao-duc-du-hoc"))
    assert [h.id for h in by_field.hits] == ["h1"]


def test_json_page_and_export_show_the_labels(labelled):
    client = client_of(labelled)
    hit = client.get("/api/search?category=education").get_json()["hits"][0]
    assert (hit["category"], hit["source"]) == ("Giáo dục", "Dân trí")
    assert client.get("/api/articles/h1").get_json()["category"] == "Giáo dục - Du học"
    page = client.get("/search?source=dantri").get_data(as_text=True)
    assert '<span class="source">Dân trí</span>' in page and '<span class="category">Giáo dục</span>' in page
    assert '<span class="source">dantri</span>' not in page
    export = client.get("/api/export?format=jsonl&category=society").get_data(as_text=True)
    assert '"category": "Xã hội"' in export


def test_a_code_in_the_url_shows_as_its_label_and_unticking_the_label_removes_it(labelled):
    client = client_of(labelled)
    page = client.get("/search?source=dantri").get_data(as_text=True)
    assert '<span class="chip-value">Dân trí</span>' in page

    assert toggled([("q", "x"), ("source", "dantri")], "source", "Dân trí") == [("q", "x")]

"""Bylines (author) and dateline sources."""
import pytest
from hypothesis import given, strategies as st

from search.ingest.bylines import author_from_line, dateline_source, source_from_url, split_byline


@pytest.mark.parametrize("line, author", [
    ("V.H", "V.H"),
    ("NT", "NT"),
    ("Nhóm PV", "Nhóm PV"),
    ("Hùng Cường", "Hùng Cường"),
    ("Tin: Vân Anh, Ảnh: Đình Nguyên", "Vân Anh"),
    ("Bài và ảnh: Minh Hạnh", "Minh Hạnh"),
    ("T.ThủyTheo DTrends", "T.Thủy"),
    ("Hà Thanh", "Hà Thanh"),
])
def test_byline_names_the_author(line, author):
    assert author_from_line(line) == author


@pytest.mark.parametrize("line", [
    "Ban Chấp hành Đảng bộ Sở Thông tin và Truyền thông nhiệm kỳ 2020 – 2025",
    "Đại biểu phát biểu góp ý văn kiện Đại hội",
    "Hà Nội",
    "Theo VnExpress",
    "Ảnh minh họa",
    "Tin cùng chuyên mục",
    "Đại hội bầu 9 đồng chí vào Ban Chấp hành.",
    "",
])
def test_captions_places_and_sentences_are_not_bylines(line):
    assert author_from_line(line) is None


def test_split_byline_removes_the_last_line_only_when_it_is_a_byline():
    assert split_byline(["Đoạn một.", "V.H"]) == (["Đoạn một."], "V.H")
    assert split_byline(["Đoạn một.", "Đoạn hai kết thúc."]) == (["Đoạn một.", "Đoạn hai kết thúc."], None)


@pytest.mark.parametrize("line, source", [
    ("(HMC) - Sáng 26/6, Đảng bộ Sở tổ chức", "HMC"),
    ("PhuthoPortal - Ngày 19/1/2022, Đảng bộ Sở", "PhuthoPortal"),
    ("(Dân trí) - Sáng nay", "Dân trí"),
    ("TTXVN - Chiều 3/2", "TTXVN"),
    ("Ngày 19/1/2022, Đảng bộ Sở", None),
    ("Hà Nội - Sáng nay", None),
    ("Với khẩu hiệu hành động", None),
])
def test_leading_dateline_code_names_the_source(line, source):
    assert dateline_source(line) == source


@pytest.mark.parametrize("url, source", [
    ("https://dantri.com.vn/a-1.htm", "Dân trí"),
    ("https://www.24h.com.vn/x.html", "24h"),
    ("https://baobacninh.vn/tin", "baobacninh.vn"),
    ("not a url", None),
    (None, None),
])
def test_source_from_url_host(url, source):
    assert source_from_url(url) == source


@given(st.text(max_size=200))
def test_byline_functions_never_raise(text):
    author_from_line(text)
    dateline_source(text)
    source_from_url(text)

"""Boilerplate removal and title finding on text pasted from portals."""
import pytest
from hypothesis import given, strategies as st

from search.ingest.cleaning import clean_text, drop_repeats, find_title, is_boilerplate, iter_lines, split_lines


@pytest.mark.parametrize("line", [
    "Tiếng Việt | English", "English | Tiếng Việt", "Chia sẻ bài viết", "Số lượt xem: 695", "Tin cùng chuyên mục",
    "Chi tiết bài viết Tin tức", "Trang chủ > Tin tức > Sự kiện", "null", "Facebook Zalo Email", "Từ khóa: đại hội",
    "In bài viết", "1.234 lượt xem",
])
def test_navigation_share_counter_and_language_lines_are_boilerplate(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", [
    "Đại hội Đảng bộ Sở Thông tin và Truyền thông lần thứ IV, nhiệm kỳ 2020-2025",
    "Hùng Cường",
    "Ngày 29-5, Đảng bộ Sở tổ chức Đại hội.",
])
def test_article_lines_are_not_boilerplate(line):
    assert not is_boilerplate(line)


def test_null_artefact_prefix_is_removed():
    assert split_lines("null Khai mạc Đại hội\n\nnull\n") == ["Khai mạc Đại hội"]


def test_view_counter_is_cut_out_of_a_dateline():
    assert split_lines("31/05/2020 08:49 Số lượt xem: 695") == ["31/05/2020 08:49"]


def test_caption_repeated_twice_in_a_row_is_kept_once():
    lines = ["Đại hội trang trọng thực hiện nghi lễ Chào cờ", "Đại hội trang trọng thực hiện nghi lễ Chào cờ", "Sau đó"]
    assert drop_repeats(lines) == ["Đại hội trang trọng thực hiện nghi lễ Chào cờ", "Sau đó"]


def test_title_repeated_by_the_page_wins_over_the_site_name():
    raw = ("Xuất bản thông tin\n\nnull Khai mạc Đại hội đảng viên Đảng bộ Sở Thông tin và Truyền thông\n\n"
           "Chi tiết bài viết Tin tức\n\nKhai mạc Đại hội đảng viên Đảng bộ Sở Thông tin và Truyền thông\n\n"
           "Đại hội đảng viên lần thứ II chính thức khai mạc sáng ngày 26/6.\n")
    title, body, _ = clean_text(raw)
    assert title == "Khai mạc Đại hội đảng viên Đảng bộ Sở Thông tin và Truyền thông"
    assert body == ["Đại hội đảng viên lần thứ II chính thức khai mạc sáng ngày 26/6."]


def test_caption_repeated_right_away_is_not_taken_for_the_title():
    lines = ["Đại hội Đảng bộ Sở Thông tin và Truyền thông TP. Hồ Chí Minh lần thứ IV", "15:39 26/06/2020",
             "(HMC) - Sáng 26/6, Đảng bộ Sở tổ chức Đại hội.",
             "Đại hội trang trọng thực hiện nghi lễ Chào cờ", "Đại hội trang trọng thực hiện nghi lễ Chào cờ"]
    assert find_title(lines) == 0


def test_language_switcher_and_dateline_above_the_title_are_dropped():
    raw = ("Tiếng Việt | English\n\n01/06/2020 - 09:29\n\n"
           "Ông Nguyễn Bá Luân tái đắc cử Bí thư Đảng bộ cơ sở Sở Thông tin và Truyền thông Long An\n\n"
           "Với khẩu hiệu hành động, Đảng bộ vừa tổ chức Đại hội.\n\nHùng Cường\n\nChia sẻ bài viết\n")
    title, body, top = clean_text(raw)
    assert title.startswith("Ông Nguyễn Bá Luân")
    assert body == ["Với khẩu hiệu hành động, Đảng bộ vừa tổ chức Đại hội.", "Hùng Cường"]
    assert "01/06/2020 - 09:29" in top


def test_related_list_and_everything_after_it_is_cut():
    raw = ("Một tiêu đề bài viết đủ dài để là tiêu đề\nĐoạn một.\nTin cùng chuyên mục\nBài khác 1\nBài khác 2\n")
    _, body, _ = clean_text(raw)
    assert body == ["Đoạn một."]


def test_photo_numbered_repeats_of_the_title_are_dropped():
    raw = ("Đại hội Đảng bộ Sở Thông tin và Truyền thông lần thứ IV\nĐoạn một.\n"
           "Đại hội Đảng bộ Sở Thông tin và Truyền thông lần thứ IV - Ảnh 1\n"
           "Đại hội Đảng bộ Sở Thông tin và Truyền thông lần thứ IV - Ảnh 2\nĐoạn hai.\n")
    _, body, _ = clean_text(raw)
    assert body == ["Đoạn một.", "Đoạn hai."]


@given(st.text(max_size=500))
def test_cleaning_never_raises_and_body_never_repeats_title(raw):
    title, body, _ = clean_text(raw)
    if title and body:
        assert body[0] != title


@given(st.lists(st.text(alphabet="abc Đđ\n", max_size=20), max_size=20))
def test_drop_repeats_is_idempotent(lines):
    once = drop_repeats(lines)
    assert drop_repeats(once) == once


@given(st.text(alphabet="ab \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u2029"))
def test_lines_are_iterated_as_splitlines_makes_them(text):
    assert list(iter_lines(text)) == text.splitlines()

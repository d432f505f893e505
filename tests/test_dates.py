"""Publication dates: formats found on Vietnamese portals, and the traps that are not dates."""
import pytest
from hypothesis import given, strategies as st

from search.ingest.dates import find_dates, is_dateline, normalize_date_value, publication_date, year_of


@pytest.mark.parametrize("line, expected", [
    ("31/05/2020 08:49 Số lượt xem: 695", "2020-05-31T08:49:00+07:00"),
    ("15:39 26/06/2020", "2020-06-26T15:39:00+07:00"),
    ("01/06/2020 - 09:29", "2020-06-01T09:29:00+07:00"),
    ("Ngày 19/1/2022", "2022-01-19"),
    ("Thứ hai, 31/5/2020", "2020-05-31"),
    ("ngày 26 tháng 6 năm 2020", "2020-06-26"),
    ("Cập nhật: Thứ hai, 31/05/2020 08:49 GMT+7", "2020-05-31T08:49:00+07:00"),
    ("2020-05-31T08:49:00+07:00", "2020-05-31T08:49:00+07:00"),
])
def test_publication_line_formats_are_read(line, expected):
    assert publication_date([line]) == expected


def test_lead_opening_with_a_full_date_gives_the_date():
    assert publication_date(["PhuthoPortal - Ngày 19/1/2022, Đảng bộ Sở tổ chức hội nghị"]) == "2022-01-19"


def test_lead_date_is_not_used_when_not_allowed():
    assert publication_date(["Ngày 19/1/2022, Đảng bộ Sở tổ chức hội nghị"], allow_lead=False) is None


@pytest.mark.parametrize("text", [
    "38/38 đảng viên được triệu tập về dự Đại hội",
    "khai mạc sáng ngày 26/6 tại Hội trường",
    "Đại hội đảng viên nhiệm kỳ 2020 – 2025",
    "nhiệm kỳ 2020-2025",
    "Nghị định 15/2020/NĐ-CP của Chính phủ",
    "Điện thoại: 0912.345.678",
    "giai đoạn 2021 - 2023",
])
def test_fraction_term_of_office_and_day_without_year_are_not_dates(text):
    assert find_dates(text) == []
    assert publication_date([text]) is None


@pytest.mark.parametrize("text", ["31/02/2020", "30/02/2021", "29/02/2021", "32/01/2020", "15/13/2020"])
def test_impossible_calendar_dates_are_rejected(text):
    assert find_dates(text) == []


def test_leap_day_is_a_valid_date():
    assert publication_date(["29/02/2020"]) == "2020-02-29"


def test_date_far_down_the_body_is_not_the_publication_date():
    lines = ["Tiêu đề bài viết khá dài về một sự kiện"] + ["Một đoạn văn bình thường."] * 10 + ["Ngày 12/3/2019"]
    assert publication_date(lines) is None


def test_dateline_with_counter_is_a_dateline_but_a_sentence_is_not():
    assert is_dateline("31/05/2020 08:49 Số lượt xem: 695")
    assert not is_dateline("Quyết định số 12 ngày 12/3/2019 của UBND tỉnh về việc phê duyệt")


@pytest.mark.parametrize("value, expected", [
    ("2020-05-31", "2020-05-31"),
    ("2020-05-31T01:49:00Z", "2020-05-31T08:49:00+07:00"),
    ("2026-02-07T15:00:00+00:00", "2026-02-07T22:00:00+07:00"),
    ("2020-05-31 08:49", "2020-05-31T08:49:00+07:00"),
    ("31/05/2020 08:49", "2020-05-31T08:49:00+07:00"),
    ("ngày 26 tháng 6 năm 2020", "2020-06-26"),
    (1590889740, "2020-05-31T08:49:00+07:00"),
    ("2020-02-31", None),
    ("hôm qua", None),
    ("", None),
    (None, None),
    (12, None),
    (True, None),
    ({"a": 1}, None),
    (["2020-05-31"], None),
    ("2020-05-31T99:99:99+99:00", None),
])
def test_record_date_values_are_normalised_or_dropped(value, expected):
    assert normalize_date_value(value) == expected


@pytest.mark.parametrize("published, year", [("2020-05-31", 2020), ("2020-05-31T08:49:00+07:00", 2020),
                                             (None, None), ("", None), ("abc", None)])
def test_year_comes_from_published(published, year):
    assert year_of(published) == year


@given(st.text(max_size=300))
def test_date_functions_never_raise(text):
    find_dates(text)
    publication_date(text.splitlines())
    normalize_date_value(text)


@given(st.dates(min_value=__import__("datetime").date(1990, 1, 1), max_value=__import__("datetime").date(2025, 12, 31)))
def test_any_real_date_round_trips_in_slash_form(date):
    assert normalize_date_value(f"{date.day}/{date.month}/{date.year}") == date.isoformat()

"""The timeline of a search (SPEC §5): counts by day, month or year, shares of the whole index."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

import manage
from helpers import client_of, index_of, where
from search import open_index
from search.requests import SearchRequest
from search.timeline import Periods, timeline_of, timeline_unit

FLOOD = "Mưa lớn gây lũ quét ở vùng núi, nhiều nhà dân bị cuốn trôi."
MARKET = "Giá vàng trong nước tăng mạnh theo giá thế giới."
ARTICLES = [
    {"id": "lu-1", "title": "Lũ quét ở Yên Bái", "text": FLOOD, "date": "2020-05-03"},
    {"id": "lu-2", "title": "Lũ quét ở Lào Cai", "text": FLOOD, "date": "2020-05-20"},
    {"id": "lu-3", "title": "Lũ quét ở Hà Giang", "text": FLOOD, "published": "2020-09-02T08:00:00+07:00"},
    {"id": "lu-undated", "title": "Lũ quét không rõ ngày", "text": FLOOD},
    {"id": "vang-1", "title": "Giá vàng tăng", "text": MARKET, "date": "2020-05-11"},
    {"id": "vang-2", "title": "Giá vàng giảm", "text": MARKET, "date": "2020-05-28"},
    {"id": "vang-3", "title": "Giá vàng đứng yên", "text": MARKET, "date": "2020-09-15"},
    {"id": "vang-4", "title": "Giá vàng lập đỉnh", "text": MARKET, "date": "2020-08-01"},
]


def periods_of(dates: list[str]) -> Periods:
    unique = sorted({d for d in dates if d})
    rank = np.array([unique.index(d) if d else -1 for d in dates], dtype=np.int64)
    return Periods.from_dates(dates, rank, np.ones(len(dates), dtype=bool))


def everything(n: int) -> np.ndarray:
    return np.ones(n, dtype=bool)


@pytest.mark.parametrize("span, unit", [
    (0, "day"), (92, "day"), (93, "month"), (365 * 15, "month"), (5480, "year"),
])
def test_unit_follows_the_span_of_the_selected_dates(span, unit):
    assert timeline_unit(span) == unit


def test_dates_within_three_months_count_by_day():
    dates = ["2024-09-01", "2024-09-01T10:00:00+07:00", "2024-09-03", "2024-11-30"]
    timeline = timeline_of(periods_of(dates), everything(4))
    assert timeline.unit == "day"
    assert [b.period for b in timeline.buckets][:3] == ["2024-09-01", "2024-09-02", "2024-09-03"]
    assert timeline.buckets[0].count == 2 and timeline.buckets[1].count == 0
    assert timeline.buckets[-1].period == "2024-11-30"
    assert len(timeline.buckets) == 91


def test_dates_over_a_few_months_count_by_month():
    dates = ["2019-12-31", "2020-01-01", "2020-06-15"]
    timeline = timeline_of(periods_of(dates), everything(3))
    assert timeline.unit == "month"
    assert [(b.period, b.count) for b in timeline.buckets] == [
        ("2019-12", 1), ("2020-01", 1), ("2020-02", 0), ("2020-03", 0), ("2020-04", 0), ("2020-05", 0),
        ("2020-06", 1)]
    assert (timeline.buckets[0].start, timeline.buckets[0].end) == ("2019-12-01", "2019-12-31")
    assert (timeline.buckets[2].start, timeline.buckets[2].end) == ("2020-02-01", "2020-02-29")


def test_dates_over_fifteen_years_count_by_year():
    dates = ["1995-03-01", "2010-01-01", "2024-12-31", ""]
    timeline = timeline_of(periods_of(dates), everything(4))
    assert timeline.unit == "year"
    assert timeline.buckets[0].period == "1995" and timeline.buckets[-1].period == "2024"
    assert (timeline.buckets[-1].start, timeline.buckets[-1].end) == ("2024-01-01", "2024-12-31")
    assert timeline.total == 3  # the undated one is not in the timeline


def test_undated_or_unreadable_dates_are_left_out():
    dates = ["", "2020-13-45", "nonsense", "2020-05-01"]
    timeline = timeline_of(periods_of(dates), everything(4))
    assert [(b.period, b.count) for b in timeline.buckets] == [("2020-05-01", 1)]
    assert timeline_of(periods_of(["", ""]), everything(2)).to_dict() == {"unit": "month", "buckets": []}


def test_share_is_the_selection_against_every_article_of_the_period():
    dates = ["2020-05-01", "2020-05-02", "2020-05-03", "2020-09-01"]
    selected = np.array([True, False, False, True])
    timeline = timeline_of(periods_of(dates), selected)
    shares = {b.period: (b.count, b.share) for b in timeline.buckets}
    assert shares["2020-05"] == (1, round(1 / 3, 4))
    assert shares["2020-09"] == (1, 1.0)
    assert shares["2020-07"] == (0, 0.0)


@pytest.fixture(scope="module")
def timeline_index_dir(tmp_path_factory, backend):
    return index_of(tmp_path_factory, ARTICLES, "timeline", backend)


@pytest.fixture(scope="module")
def timeline_index(timeline_index_dir):
    return open_index(timeline_index_dir)


def test_buckets_sum_to_the_selected_dated_articles(timeline_index):
    result = timeline_index.search(SearchRequest(q="lũ quét"))
    assert result.total == 4
    timeline = result.to_dict()["timeline"]
    assert timeline["unit"] == "month"
    assert sum(b["count"] for b in timeline["buckets"]) == 3  # the undated article is left out
    assert [b["period"] for b in timeline["buckets"]] == ["2020-05", "2020-06", "2020-07", "2020-08", "2020-09"]


def test_share_is_counted_against_the_whole_index(timeline_index):
    buckets = {b["period"]: b for b in timeline_index.search(SearchRequest(q="lũ quét")).to_dict()["timeline"]["buckets"]}
    assert buckets["2020-05"] == {"period": "2020-05", "count": 2, "share": 0.5}  # 2 of the 4 of May
    assert buckets["2020-09"] == {"period": "2020-09", "count": 1, "share": 0.5}
    assert buckets["2020-08"] == {"period": "2020-08", "count": 0, "share": 0.0}  # vàng only


def test_a_date_range_narrows_the_timeline_to_days(timeline_index):
    result = timeline_index.search(SearchRequest(q="lũ quét", date_from="2020-05-01", date_to="2020-05-31"))
    timeline = result.to_dict()["timeline"]
    assert timeline["unit"] == "day"
    assert timeline["buckets"][0] == {"period": "2020-05-03", "count": 1, "share": 1.0}
    assert timeline["buckets"][-1]["period"] == "2020-05-20"
    assert sum(b["count"] for b in timeline["buckets"]) == 2


def test_timeline_sits_between_facets_and_notices_in_the_json(timeline_index):
    keys = list(timeline_index.search(SearchRequest(q="lũ quét")).to_dict())
    assert keys.index("facets") + 1 == keys.index("timeline") == keys.index("notices") - 1


def test_cli_search_json_has_the_timeline(timeline_index_dir):
    out = CliRunner().invoke(manage.cli, ["search", "giá vàng", "--json", *where(timeline_index_dir)])
    assert out.exit_code == 0, out.output
    timeline = json.loads(out.output)["timeline"]
    assert timeline["unit"] == "month"
    assert sum(b["count"] for b in timeline["buckets"]) == 4


def test_the_pages_timeline_bars_narrow_the_dates_to_their_period(timeline_index_dir):
    client = client_of(timeline_index_dir)
    html = client.get("/search?q=lũ quét&page=1").data.decode("utf-8")
    assert "Dòng thời gian" in html and "theo tháng" in html
    bars = re.findall(r'<a href="([^"]+)" class="bar" data-period="([^"]+)" aria-label="([^"]+)" tabindex="-1"', html)
    assert [period for _, period, _ in bars] == ["2020-05", "2020-09"]  # empty months get no link
    url, _, label = bars[0]
    assert url == "/search?q=l%C5%A9+qu%C3%A9t&amp;from=2020-05-01&amp;to=2020-05-31"
    assert label == "Tháng 05/2020: 2 bài viết (50% số bài của kỳ này)"
    assert "<title>Tháng 09/2020: 1 bài viết (50% số bài của kỳ này)</title>" in html
    narrowed = client.get(url.replace("&amp;", "&")).data.decode("utf-8")
    assert 'data-period="2020-05-03"' in narrowed and 'data-period="2020-05-20"' in narrowed  # now by day
    inside = re.search(r'<a href="([^"]+)" class="bar" data-period="2020-05-20"', narrowed).group(1)
    assert inside.endswith("from=2020-05-20&amp;to=2020-05-20")


def test_a_bar_stays_within_the_range_already_chosen(timeline_index_dir):
    client = client_of(timeline_index_dir)
    html = client.get("/search?q=giá vàng&from=2020-05-15").data.decode("utf-8")
    url = re.search(r'<a href="([^"]+)" class="bar" data-period="2020-05"', html).group(1)
    assert "from=2020-05-15&amp;to=2020-05-31" in url


def test_no_dated_result_no_timeline(timeline_index_dir):
    client = client_of(timeline_index_dir)
    assert "Dòng thời gian" not in client.get("/search?q=không rõ ngày").data.decode("utf-8")


@pytest.mark.parametrize("span_days", [20, 400, 7000])
def test_a_timeline_from_counts_per_day_is_the_timeline_of_the_documents(span_days):
    """OpenSearch's date_histogram gives counts per day: rolled up, the same timeline."""
    from collections import Counter

    from search.timeline import timeline_of_days

    rng = np.random.default_rng(span_days)
    start = np.datetime64("2001-03-15")
    dates = [str(start + int(d)) for d in rng.integers(0, span_days, 300)] + ["", "2001-02-30"]
    selected = rng.random(len(dates)) < 0.4
    expected = timeline_of(periods_of(dates), selected)
    day = {d: int(np.datetime64(d, "D").astype(np.int64)) for d in dates if d and d != "2001-02-30"}
    everywhere = Counter(day[d] for d in dates if d in day)
    chosen = Counter(day[d] for d, s in zip(dates, selected) if s and d in day)
    assert timeline_of_days(dict(chosen), dict(everywhere)) == expected

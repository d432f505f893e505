"""The Flask front end: routes, the JSON of SPEC §7, the HTML page and its agreement with the API."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import built, client_of
from search import rebuild
from search.articles import FACET_FIELDS, UNKNOWN
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "index_data" / "articles"

# Small articles with explicit metadata, so facets, filters and paging have something to show.
FACET_ARTICLES = [
    {"id": "la-2021", "title": "Long An khai trương trung tâm dữ liệu",
     "text": "Sở Thông tin và Truyền thông Long An khai trương trung tâm dữ liệu của tỉnh.",
     "published": "2021-03-02", "province": "Long An", "category": "Công nghệ", "source": "Báo Long An"},
    {"id": "la-2020", "title": "Long An tổ chức hội nghị chuyển đổi số",
     "text": "Hội nghị chuyển đổi số của tỉnh Long An bàn về dữ liệu và dịch vụ công trực tuyến.",
     "published": "2020-09-15", "province": "Long An", "category": "Công nghệ", "source": "Báo Long An"},
    {"id": "bn-2020", "title": "Bắc Ninh tổng kết công tác thông tin cơ sở",
     "text": "Bắc Ninh tổng kết công tác thông tin cơ sở và truyền thông chính sách năm 2020.",
     "published": "2020-12-20", "province": "Bắc Ninh", "category": "Thời sự", "source": "Cổng TTĐT Bắc Ninh"},
    {"id": "hn-2019", "title": "Hà Nội đẩy mạnh dịch vụ công trực tuyến",
     "text": "Thành phố Hà Nội đẩy mạnh dịch vụ công trực tuyến mức độ 4 cho người dân.",
     "published": "2019-06-01", "province": "Hà Nội", "category": "Thời sự"},
    {"id": "nodate", "title": "Tọa đàm về báo chí và dữ liệu",
     "text": "Tọa đàm bàn về báo chí, dữ liệu và trách nhiệm của người làm tin."},
]


@pytest.fixture(scope="module")
def facet_index_dir(tmp_path_factory, backend):
    source = tmp_path_factory.mktemp("web-source")
    shutil.copytree(SAMPLES, source / "samples")
    (source / "extra").mkdir()
    with open(source / "extra" / "facets.jsonl", "w", encoding="utf-8") as out:
        for record in FACET_ARTICLES:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    # An id with "#" and a folder, as the library makes for .jsonl lines without ids.
    (source / "extra" / "no-ids.jsonl").write_text(
        json.dumps({"title": "Tin không có mã", "text": "Một bài viết ngắn về dữ liệu mở."}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    return built(source, tmp_path_factory, "web", backend)


@pytest.fixture(scope="module")
def app(sample_target):
    """The app over the bundled articles, on the backend under test (conftest's is embedded)."""
    return create_app(**({"opensearch": sample_target} if isinstance(sample_target, str) else
                         {"index_dir": sample_target}), TESTING=True)


@pytest.fixture(scope="module")
def facet_client(facet_index_dir):
    return client_of(facet_index_dir)


def api(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


class PageParser(HTMLParser):
    """What a reader of the search page sees: the total, facet rows, chips, links."""

    def __init__(self):
        super().__init__()
        self.total: int | None = None
        self.facets: dict[str, dict[str, int]] = {}
        self.checked: dict[str, set[str]] = {}
        self.toggles: dict[str, str] = {}  # facet value -> the URL its checkbox leads to
        self.chips: list[dict] = []
        self.links: dict[str, str] = {}  # link text -> href
        self.hit_links: list[str] = []
        self._stack: list[tuple[str, dict]] = []
        self._facet: str | None = None
        self._row: dict | None = None
        self._chip: dict | None = None
        self._text: list[str] = []
        self._href: str | None = None
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "section" and "facet" in classes:
            self._facet = a.get("data-facet")
            self.facets.setdefault(self._facet, {})
        if tag == "li" and "facet-value" in classes:
            self._row = {"value": None, "count": ""}
        if self._row is not None and tag == "input" and a.get("type") == "checkbox":
            self._row["value"] = a["value"]
            self.toggles.setdefault(a["value"], a["data-toggle-url"])
            if "checked" in a:
                self.checked.setdefault(a["name"], set()).add(a["value"])
        if self._row is not None and tag == "span" and "count" in classes:
            self._in = "count"
        if tag == "strong" and self.total is None and self._in == "summary":
            self._in = "total"
        if tag == "p" and a.get("id") == "summary":
            self._in = "summary"
        if tag == "li" and "chip" in classes:
            self._chip = {"text": "", "remove": None}
        if self._chip is not None and tag == "a" and "chip-remove" in classes:
            self._chip["remove"] = a["href"]
        if tag == "a" and "href" in a:
            self._href = a["href"]
            self._text = []
            if self._stack and self._stack[-1][0] == "h2" and "hit-title" in (self._stack[-1][1].get("class") or ""):
                self.hit_links.append(a["href"])
        self._stack.append((tag, a))

    def handle_endtag(self, tag):
        if self._stack:
            self._stack.pop()
        if tag == "a" and self._href is not None:
            self.links.setdefault(" ".join("".join(self._text).split()), self._href)
            self._href = None
        if tag == "span" and self._in == "count":
            self._in = None
        if tag == "strong" and self._in == "total":
            self._in = "summary"
        if tag == "p" and self._in == "summary":
            self._in = None
        if tag == "li" and self._row is not None:
            self.facets[self._facet][self._row["value"]] = int(self._row["count"])
            self._row = None
        if tag == "li" and self._chip is not None:
            self._chip["text"] = " ".join(self._chip["text"].split())
            self.chips.append(self._chip)
            self._chip = None
        if tag == "section":
            self._facet = None

    def handle_data(self, data):
        if self._in == "count":
            self._row["count"] += data.strip()
        if self._in == "total":
            self.total = int(data.replace(".", ""))
        if self._chip is not None:
            self._chip["text"] += data
        if self._href is not None:
            self._text.append(data)


def page(client, url: str) -> tuple[PageParser, str]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    parser = PageParser()
    parser.feed(html)
    return parser, html


# ---- JSON API ---------------------------------------------------------------------------------

def test_healthz_reports_ok_and_article_count(client):
    assert api(client, "/healthz") == {"status": "ok", "articles": 5}


def test_accentless_query_finds_the_five_sample_articles(client):
    doc = api(client, "/api/search?q=dai+hoi")
    assert doc["total"] == 5
    assert doc["query"] == "dai hoi"
    assert len(doc["hits"]) == 5


def test_api_search_has_the_json_shape_of_spec(client):
    doc = api(client, "/api/search?q=%C4%91%E1%BA%A1i+h%E1%BB%99i")
    assert list(doc)[:14] == ["query", "total", "page", "size", "took_ms", "sort", "matching", "accents",
                              "filters", "hits", "facets", "timeline", "notices", "suggestion"]
    assert (doc["page"], doc["size"], doc["sort"], doc["matching"], doc["accents"]) == (1, 10, "relevance", "all",
                                                                                        "exact")
    assert doc["notices"] == []
    assert isinstance(doc["took_ms"], float)
    hit = doc["hits"][0]
    for key in ("id", "title", "title_html", "snippet_html", "published", "year", "province",
                "province_2025", "source", "author", "url", "score"):
        assert key in hit
    assert "<mark>" in hit["title_html"] + hit["snippet_html"]
    assert list(doc["facets"]) == list(FACET_FIELDS)
    for values in doc["facets"].values():
        for value in values:
            assert set(value) == {"value", "count", "selected"}


def test_api_search_keeps_vietnamese_unescaped_in_json(client):
    body = client.get("/api/search?q=dai+hoi").get_data(as_text=True)
    assert "Đại hội" in body or "Đảng" in body


def test_filters_are_echoed_with_integer_years(facet_client):
    doc = api(facet_client, "/api/search?province=Long+An&year=2020&year=Kh%C3%B4ng+r%C3%B5")
    assert doc["filters"] == {"province": ["Long An"], "year": [2020, UNKNOWN]}
    assert "la-2020" in [h["id"] for h in doc["hits"]]
    assert all(h["province"] == "Long An" and h["year"] in (2020, None) for h in doc["hits"])


def test_repeated_facet_params_are_ored_and_different_facets_anded(facet_client):
    both = api(facet_client, "/api/search?province=Long+An&province=B%E1%BA%AFc+Ninh")
    assert {h["province"] for h in both["hits"]} == {"Long An", "Bắc Ninh"}
    narrowed = api(facet_client, "/api/search?province=Long+An&province=B%E1%BA%AFc+Ninh&category=Th%E1%BB%9Di+s%E1%BB%B1")
    assert "bn-2020" in {h["id"] for h in narrowed["hits"]}
    assert all(h["category"] == "Thời sự" for h in narrowed["hits"])


def test_date_range_filters_and_is_echoed(facet_client):
    doc = api(facet_client, "/api/search?from=2020-01-01&to=2020-12-31&sort=oldest")
    assert doc["from"] == "2020-01-01" and doc["to"] == "2020-12-31"
    assert all(h["published"].startswith("2020") for h in doc["hits"])
    dates = [h["published"][:10] for h in doc["hits"]]
    assert dates == sorted(dates)


def test_empty_params_are_ignored(facet_client):
    assert api(facet_client, "/api/search?q=&province=&from=&to=&sort=&page=&size=")["total"] == \
        api(facet_client, "/api/search")["total"]


@pytest.mark.parametrize("params", [
    "page=0", "size=100000", "year=abc", "from=yesterday", "to=2020-13-01", "page=abc", "size=ten",
    "sort=best", "page=-1", "size=0", "page=" + "9" * 5000, "page=1.5",
])
def test_bad_parameters_answer_400_with_a_json_error(client, params):
    response = client.get(f"/api/search?{params}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"] and "\n" not in error["message"]


def test_unknown_parameters_are_ignored(client):
    assert api(client, "/api/search?q=dai+hoi&utm_source=x&province_2026=X")["total"] == 5


def test_bad_parameters_on_the_page_answer_a_friendly_vietnamese_page(client):
    response = client.get("/search?q=dai+hoi&page=0")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Yêu cầu không hợp lệ" in html and "page" in html
    assert 'value="dai hoi"' in html  # the search box keeps the query, to try again
    assert "Traceback" not in html


def test_unknown_article_answers_404_on_page_and_api(client):
    response = client.get("/api/articles/khong-co-bai-nay.txt")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    response = client.get("/articles/khong-co-bai-nay.txt")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_unknown_routes_answer_404_json_under_api_and_html_elsewhere(client):
    assert client.get("/api/nothing").get_json()["error"]["code"] == "not_found"
    response = client.get("/nothing")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_post_is_refused_without_500(client):
    response = client.post("/api/search", data="x" * 100_000)
    assert response.status_code in (405, 413)
    assert response.get_json()["error"]["code"] in ("method_not_allowed", "payload_too_large")


def test_api_article_returns_the_article_dict(client):
    doc = api(client, "/api/articles/001_4a7d02fcda62732a.txt")
    assert set(doc) == {"id", "title", "text", "published", "published_date", "year", "province", "province_2025",
                        "provinces", "provinces_2025", "category", "source", "author", "url"}
    assert doc["provinces"] == ["Bắc Ninh"] and doc["provinces_2025"] == ["Bắc Ninh"]
    assert doc["id"] == "001_4a7d02fcda62732a.txt"
    assert (doc["published"], doc["published_date"]) == ("2020-05-31T08:49:00+07:00", "2020-05-31")
    assert doc["title"].startswith("Đại hội Đảng bộ")


def test_every_hit_has_the_day_of_its_publication_or_null(client):
    hits = api(client, "/api/search?size=100")["hits"]
    assert {h["id"]: h["published_date"] for h in hits}["001_4a7d02fcda62732a.txt"] == "2020-05-31"
    for hit in hits:
        assert hit["published_date"] == (hit["published"][:10] if hit["published"] else None)


def test_ids_with_folders_and_hash_round_trip_through_links(facet_client):
    doc = api(facet_client, "/api/search?q=d%E1%BB%AF+li%E1%BB%87u+m%E1%BB%9F")
    hit = next(h for h in doc["hits"] if "#" in h["id"])
    assert hit["id"] == "extra/no-ids.jsonl#L1"
    parsed, _ = page(facet_client, "/search?q=d%E1%BB%AF+li%E1%BB%87u+m%E1%BB%9F")
    link = next(href for href in parsed.hit_links if "no-ids" in href)
    assert "%23L1" in link
    assert facet_client.get(link).status_code == 200
    assert api(facet_client, "/api/articles/extra/no-ids.jsonl%23L1")["id"] == hit["id"]


def test_openapi_describes_every_api_route(client):
    doc = api(client, "/api/openapi.json")
    assert doc["openapi"].startswith("3.")
    assert {"/api/search", "/api/articles/{id}", "/api/export", "/healthz"} <= set(doc["paths"])
    params = {p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "page", "size", "sort", "from", "to", *FACET_FIELDS} <= params
    assert "SearchResult" in doc["components"]["schemas"]


# ---- export -----------------------------------------------------------------------------------

EXPORT_QUERIES = ["", "q=dai+hoi", "q=d%E1%BB%AF+li%E1%BB%87u", "province=Long+An", "year=2020&sort=newest",
                  "q=zzzz+khong+co"]


def all_ids(client, params: str) -> list[str]:
    doc = api(client, f"/api/search?{params}&size=100")
    assert doc["total"] <= 100
    return [h["id"] for h in doc["hits"]]


@pytest.mark.parametrize("params", EXPORT_QUERIES)
def test_csv_export_contains_every_result(facet_client, params):
    response = facet_client.get(f"/api/export?{params}&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows[0] == ["id", "title", "published", "published_date", "year", "province", "province_2025",
                       "provinces", "provinces_2025", "category", "source", "author", "url", "text"]
    assert [r[0] for r in rows[1:]] == all_ids(facet_client, params)


@pytest.mark.parametrize("params", EXPORT_QUERIES)
def test_jsonl_export_contains_every_result(facet_client, params):
    response = facet_client.get(f"/api/export?{params}&format=jsonl")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.jsonl"')
    records = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [r["id"] for r in records] == all_ids(facet_client, params)
    for record in records:
        assert record["text"]


def test_export_ignores_paging_and_names_the_file_after_the_query(facet_client):
    response = facet_client.get("/api/export?q=%C4%91%E1%BA%A1i+h%E1%BB%99i&format=csv&page=2&size=1")
    assert response.headers["Content-Disposition"] == 'attachment; filename="vnsearch-dai-hoi.csv"'
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) - 1 == \
        api(facet_client, "/api/search?q=%C4%91%E1%BA%A1i+h%E1%BB%99i")["total"]


@pytest.mark.parametrize("params", ["format=xml", "format=csv&year=abc", "format=jsonl&from=yesterday"])
def test_bad_export_answers_400_before_streaming(facet_client, params):
    response = facet_client.get(f"/api/export?{params}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


# ---- the HTML page ----------------------------------------------------------------------------

def test_page_is_vietnamese_and_keeps_the_query_in_a_labelled_box(client):
    html = client.get("/search?q=dai+hoi").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert '<label for="q"' in html
    assert 'id="q" name="q" value="dai hoi"' in html
    assert re.search(r"Tìm thấy <strong>5</strong> bài viết <span class=\"took\">\(\d+,\d{3} giây\)</span>", html)
    assert "<mark>" in html


def test_home_lists_all_articles_newest_first(facet_client):
    parsed, html = page(facet_client, "/")
    assert parsed.total == api(facet_client, "/api/search")["total"]
    assert '<option value="" selected>Mới nhất</option>' in html  # the order applied, not "Liên quan nhất"


AGREEMENT = [
    "", "q=dai+hoi", "q=%C4%91%E1%BA%A1i+h%E1%BB%99i", "q=d%E1%BB%AF+li%E1%BB%87u", "province=Long+An",
    "province=Long+An&province=B%E1%BA%AFc+Ninh", "year=2020", "year=Kh%C3%B4ng+r%C3%B5",
    "q=d%E1%BB%AF+li%E1%BB%87u&category=C%C3%B4ng+ngh%E1%BB%87&year=2021", "q=th%C3%B4ng+tin&sort=oldest",
    "from=2020-01-01&to=2020-12-31", "q=zzzz+qqqq",
]


@pytest.mark.parametrize("params", AGREEMENT)
def test_page_and_api_agree_on_total_facet_counts_and_selection(facet_client, params):
    doc = api(facet_client, f"/api/search?{params}")
    parsed, _ = page(facet_client, f"/search?{params}")
    assert parsed.total == doc["total"]
    for name in FACET_FIELDS:
        expected = {v["value"]: v["count"] for v in doc["facets"][name]}
        shown = parsed.facets.get(name)
        if shown is None:  # hidden only when it cannot narrow anything
            assert list(expected) in ([], [UNKNOWN])
        else:
            assert shown == expected
        selected = {v["value"] for v in doc["facets"][name] if v["selected"]}
        assert parsed.checked.get(name, set()) == selected


def test_selected_filter_shows_a_chip_that_removes_it(facet_client):
    parsed, _ = page(facet_client, "/search?q=d%E1%BB%AF+li%E1%BB%87u&province=Long+An&year=2021&sort=newest&page=1")
    texts = [chip["text"] for chip in parsed.chips]
    assert "Tỉnh/thành: Long An ×" in texts and "Năm: 2021 ×" in texts
    chip = next(c for c in parsed.chips if "Long An" in c["text"])
    remaining = query_of(chip["remove"])
    assert "province" not in remaining
    assert remaining["year"] == ["2021"] and remaining["q"] == ["dữ liệu"] and remaining["sort"] == ["newest"]
    assert "page" not in remaining


def test_clear_filters_keeps_query_and_sort_only(facet_client):
    parsed, _ = page(facet_client, "/search?q=d%E1%BB%AF+li%E1%BB%87u&province=Long+An&from=2020-01-01&sort=oldest")
    assert query_of(parsed.links["Xóa bộ lọc"]) == {"q": ["dữ liệu"], "sort": ["oldest"]}
    assert any(c["text"] == "Từ ngày: 01/01/2020 ×" for c in parsed.chips)


def test_facet_links_toggle_one_value_and_reset_the_page(facet_client):
    parsed, _ = page(facet_client, "/search?province=Long+An&page=1&size=2")
    add = query_of(parsed.toggles["Bắc Ninh"])
    assert add["province"] == ["Long An", "Bắc Ninh"] and add["size"] == ["2"] and "page" not in add
    remove = query_of(parsed.toggles["Long An"])
    assert "province" not in remove


def test_facet_toggle_matches_values_case_and_accent_insensitively(facet_client):
    parsed, _ = page(facet_client, "/search?province=long+an")
    assert parsed.checked["province"] == {"Long An"}
    assert "province" not in query_of(parsed.toggles["Long An"])


def test_year_chart_bars_toggle_years(facet_client):
    _, html = page(facet_client, "/search")
    bars = dict(re.findall(r'<a href="([^"]+)" class="bar[^"]*" data-year="(\d{4})"', html))
    years = {year: query_of(href.replace("&amp;", "&"))["year"] for href, year in bars.items()}
    assert years["2020"] == ["2020"] and years["2019"] == ["2019"]
    _, html = page(facet_client, "/search?year=2020")
    assert re.search(r'class="bar selected" data-year="2020"', html)


def test_year_chart_scales_bars_to_the_busiest_year(facet_client):
    doc = api(facet_client, "/api/search")
    counts = {v["value"]: v["count"] for v in doc["facets"]["year"] if v["value"].isdigit()}
    _, html = page(facet_client, "/search")
    heights = {year: float(h) for year, h in re.findall(
        r'data-year="(\d{4})"[^>]*>.*?class="bar-fill"[^>]*height="([\d.]+)"', html, re.S)}
    assert set(heights) == set(counts)
    busiest = max(counts, key=counts.get)
    assert heights[busiest] == 64.0
    for year, count in counts.items():
        assert heights[year] == pytest.approx(max(2.0, 64.0 * count / counts[busiest]), abs=0.01)


def test_pagination_links_pages_and_previous_next(facet_client):
    total = api(facet_client, "/api/search")["total"]
    parsed, html = page(facet_client, "/search?size=2&page=2")
    assert query_of(parsed.links["Sau ›"])["page"] == ["3"]
    assert "page" not in query_of(parsed.links["‹ Trước"])  # page 1 is the plain URL
    last = -(-total // 2)
    assert query_of(parsed.links[str(last)])["page"] == [str(last)]
    assert 'aria-current="page">2<' in html
    _, html = page(facet_client, f"/search?size=2&page={last}")
    assert '<span class="next disabled">Sau ›</span>' in html


def test_page_past_the_last_offers_the_first(facet_client):
    parsed, html = page(facet_client, "/search?q=dai+hoi&size=2&page=50")
    assert parsed.total == api(facet_client, "/api/search?q=dai+hoi")["total"]
    assert "Trang này không có kết quả" in html
    assert query_of(parsed.links["Về trang đầu"]) == {"q": ["dai hoi"], "size": ["2"]}


def test_hits_show_date_province_source_and_link_to_the_article_with_the_search(facet_client):
    parsed, html = page(facet_client, "/search?q=trung+t%C3%A2m+d%E1%BB%AF+li%E1%BB%87u&province=Long+An")
    assert '<time datetime="2021-03-02">02/03/2021</time>' in html
    assert '<span class="province">Long An</span><span class="source">Báo Long An</span>' in html
    link = parsed.hit_links[0]
    assert link.startswith("/articles/la-2021?")
    assert query_of(link)["province"] == ["Long An"]


def test_article_page_highlights_the_query_and_links_back_to_the_results(facet_client):
    search_url = "/search?q=d%E1%BB%AF+li%E1%BB%87u&province=Long+An&page=1&sort=newest"
    parsed, _ = page(facet_client, search_url)
    link = parsed.hit_links[0]
    response = facet_client.get(link)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<mark>dữ liệu</mark>" in html
    back = PageParser()
    back.feed(html)
    back_url = back.links["← Quay lại kết quả tìm kiếm"]
    assert urlsplit(back_url).path == "/search"
    assert query_of(back_url) == query_of(search_url)
    assert "02/03/2021" in html and "Báo Long An" in html


def test_article_without_search_links_to_the_search_page(client):
    html = client.get("/articles/001_4a7d02fcda62732a.txt").get_data(as_text=True)
    assert '<a href="/search">← Về trang tìm kiếm</a>' in html
    assert "<mark>" not in html


def test_no_results_block_gives_advice(facet_client):
    _, html = page(facet_client, "/search?q=zzzz+qqqq&province=Long+An")
    assert "Không tìm thấy kết quả" in html
    assert "kiểm tra lại chính tả" in html and "ít từ hơn" in html and "bỏ các bộ lọc" in html
    assert "Tải toàn bộ" not in html


def test_fallback_to_any_word_is_explained(facet_client):
    doc = api(facet_client, "/api/search?q=long+an+zzzzqq")
    assert doc["matching"] == "any" and doc["total"] > 0
    assert doc["notices"] == ["Không có bài nào chứa «zzzzqq»; đang hiện các bài chứa một số từ."]
    _, html = page(facet_client, "/search?q=long+an+zzzzqq")
    assert "Không có bài nào chứa «zzzzqq»; đang hiện các bài chứa một số từ." in html


def test_export_links_carry_the_current_search(facet_client):
    parsed, _ = page(facet_client, "/search?q=d%E1%BB%AF+li%E1%BB%87u&province=Long+An&page=1&size=1")
    csv_link, jsonl_link = parsed.links["CSV"], parsed.links["JSON Lines"]
    assert urlsplit(csv_link).path == "/api/export"
    assert query_of(csv_link) == {"q": ["dữ liệu"], "province": ["Long An"], "format": ["csv"]}
    assert query_of(jsonl_link)["format"] == ["jsonl"]


def test_sort_select_offers_three_orders_and_keeps_the_choice(client):
    html = client.get("/search?q=dai+hoi&sort=oldest").get_data(as_text=True)
    for label in ("Liên quan nhất", "Mới nhất", "Cũ nhất"):
        assert label in html
    assert '<option value="oldest" selected>Cũ nhất</option>' in html


class SuggestingIndex:
    """A SearchIndex stand-in whose results carry a did-you-mean suggestion."""

    def __init__(self, index):
        self.index = index

    def get(self):
        return self

    def search(self, request):
        return dataclasses.replace(self.index.search(request), suggestion="đại hội")


def test_suggestion_is_shown_as_a_link_running_it(sample_index_dir, sample_index):
    app = create_app(index_dir=sample_index_dir, TESTING=True)
    app.extensions["vnsearch_index"] = SuggestingIndex(sample_index)
    parsed, html = page(app.test_client(), "/search?q=dai+hoii&sort=newest&page=1")
    assert "Có phải bạn muốn tìm:" in html
    assert query_of(parsed.links["đại hội"]) == {"q": ["đại hội"], "sort": ["newest"]}


def test_the_page_leads_with_the_suggestion(sample_index_dir, sample_index):
    app = create_app(index_dir=sample_index_dir, TESTING=True)
    app.extensions["vnsearch_index"] = SuggestingIndex(sample_index)
    _, html = page(app.test_client(), "/search?q=dai+hoii")
    results = html[html.index('<section class="results"'):]
    assert results.index("Có phải bạn muốn tìm:") < results.index('id="summary"')


def test_marks_ignored_is_said_on_the_page_and_kept_by_the_form(client):
    doc = api(client, "/api/search?q=%C4%91%E1%BA%A1i+h%E1%BB%99i&accents=ignore")
    assert doc["accents"] == "ignored" and doc["total"] == 5
    _, html = page(client, "/search?q=%C4%91%E1%BA%A1i+h%E1%BB%99i&accents=ignore")
    assert "Đang tìm không phân biệt dấu." in html
    assert '<input type="hidden" name="accents" value="ignore">' in html


def test_a_bad_accents_value_is_a_bad_request(client):
    response = client.get("/api/search?q=a&accents=loose")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_static_files_are_served(client):
    assert client.get("/static/style.css").status_code == 200
    assert "requestSubmit" in client.get("/static/app.js").get_data(as_text=True)


# ---- index lifecycle --------------------------------------------------------------------------

def test_app_starts_without_an_index_and_explains_then_serves_once_built(tmp_path):
    index_dir = tmp_path / "index"
    client = create_app(index_dir=index_dir, TESTING=True).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_missing"
    response = client.get("/")
    assert response.status_code == 503
    assert "manage.py rebuild" in response.get_data(as_text=True)
    rebuild(SAMPLES, index_dir)
    assert client.get("/healthz").get_json() == {"status": "ok", "articles": 5}


def test_default_index_dir_comes_from_the_environment(monkeypatch, sample_index_dir):
    monkeypatch.setenv("VNSEARCH_INDEX", str(sample_index_dir))
    client = create_app(TESTING=True).test_client()
    assert client.get("/healthz").get_json()["articles"] == 5


def test_an_article_found_with_marks_ignored_is_highlighted_alike(client):
    parsed, _ = page(client, "/search?q=%C4%91%C3%A0i+h%E1%BB%99i")  # "đài hội": found as "đại hội"
    article_links = [href for href in parsed.links.values() if "/articles/" in href]
    assert article_links and all("accents=ignore" in href for href in article_links)
    html = client.get(article_links[0]).get_data(as_text=True)
    assert "<mark>Đại hội</mark>" in html or "<mark>đại hội</mark>" in html


# ---- the page by keyboard (SPEC §7) ------------------------------------------------------------

FOCUSABLE = re.compile(r"<(a\s[^>]*href|input\s(?![^>]*type=\"hidden\")|select|button|summary|textarea)[^>]*>")


def test_skip_link_is_the_first_tab_stop_and_leads_to_the_results(facet_client):
    for url in ("/search?q=d%E1%BB%AF+li%E1%BB%87u", "/search?q=zzzz+qqqq"):
        html = facet_client.get(url).get_data(as_text=True)
        body = html.split("<body>", 1)[1]
        first = FOCUSABLE.search(body).group(0)
        assert first == '<a class="skip-link" href="#results">'
        assert 'Chuyển đến kết quả</a>' in body
        assert re.search(r'<(ol|div) class="[^"]*" id="results" tabindex="-1"', body), url


def test_each_facet_value_is_one_tab_stop(facet_client):
    html = facet_client.get("/search").get_data(as_text=True)
    rows = re.findall(r'<li class="facet-value[^"]*">(.*?)</li>', html, re.S)
    assert len(rows) >= 8
    for row in rows:
        assert [m.group(1).split()[0] for m in FOCUSABLE.finditer(row)] == ["input"], row
        assert re.search(r"<label>\s*<input type=\"checkbox\"", row), row
    # The year chart's bars are a mouse shortcut: out of the tab order, the year checkboxes stand for them.
    bars = re.findall(r'<a href="[^"]*" class="bar[^"]*"[^>]*>', html)
    assert bars and all('tabindex="-1"' in bar for bar in bars)


def test_facet_checkbox_ids_follow_the_value_so_focus_finds_it_again(facet_client):
    _, before = page(facet_client, "/search")
    _, after = page(facet_client, "/search?province=Long+An")
    ident = 'id="f-province-long-an" name="province" value="Long An"'
    assert ident in before and ident in after
    ids = re.findall(r'<input type="checkbox" id="([^"]+)"', before)
    assert len(ids) == len(set(ids))


def test_search_box_has_focus_on_the_home_page_only(facet_client):
    assert re.search(r'<input type="search" id="q"[^>]*autofocus', facet_client.get("/").get_data(as_text=True))
    for url in ("/search?q=d%E1%BB%AF+li%E1%BB%87u", "/articles/la-2021", "/search?page=0"):
        html = facet_client.get(url).get_data(as_text=True)
        assert "autofocus" not in html, url


def test_an_empty_query_shows_newest_first_in_the_sort_box(facet_client):
    html = facet_client.get("/").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>[^<]*</option>", html)
    assert options == ['<option value="" selected>Mới nhất</option>', '<option value="oldest">Cũ nhất</option>']
    assert api(facet_client, "/api/search")["sort"] == "newest"


def test_the_default_order_is_left_out_of_the_url_the_form_makes(facet_client):
    html = facet_client.get("/search?q=d%E1%BB%AF+li%E1%BB%87u").get_data(as_text=True)
    assert re.findall(r"<option[^>]*>[^<]*</option>", html) == [
        '<option value="" selected>Liên quan nhất</option>', '<option value="newest">Mới nhất</option>',
        '<option value="oldest">Cũ nhất</option>']
    html = facet_client.get("/search?q=d%E1%BB%AF+li%E1%BB%87u&sort=newest").get_data(as_text=True)
    assert '<option value="newest" selected>Mới nhất</option>' in html


def test_long_facets_show_the_top_values_more_on_request_and_a_filter_box(facet_client, monkeypatch):
    monkeypatch.setattr("web.present.FACET_SHOWN", 2)
    html = facet_client.get("/search").get_data(as_text=True)
    section = re.search(r'<section class="facet" data-facet="province".*?</section>', html, re.S).group(0)
    shown, more = section.split('<details class="facet-more"', 1)
    assert shown.count('<li class="facet-value') == 2
    assert re.search(r"<summary>Xem thêm \d+ giá trị</summary>", more)
    assert re.search(r'<input type="search" class="facet-filter" id="filter-province" hidden[^>]*'
                     r'aria-label="Lọc danh sách Tỉnh/thành"', shown)
    # A selected value beyond the top ones keeps its list open.
    last = re.findall(r'value="([^"]+)" form="search-form"', more)[-1]
    html = facet_client.get(f"/search?province={last}").get_data(as_text=True)
    assert '<details class="facet-more" open>' in html


def test_the_page_links_a_favicon_that_is_served(client):
    html = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data


def test_each_request_logs_one_line(client, caplog):
    with caplog.at_level("INFO", logger="vnsearch"):
        client.get("/search?q=b%C3%A3o")
        client.get("/api/search?page=0")
    lines = [r.getMessage() for r in caplog.records if r.name == "vnsearch"]
    assert len(lines) == 2
    assert re.fullmatch(r"GET /search\?q=b%C3%A3o 200 \d+\.\dms", lines[0]), lines
    assert re.fullmatch(r"GET /api/search\?page=0 400 \d+\.\dms", lines[1]), lines


# ---- request polish -----------------------------------------------------------------------------

def test_a_query_past_the_limit_is_shortened_with_a_notice(client):
    from search.requests import MAX_QUERY_LENGTH
    long_q = "đại hội " * 200
    doc = api(client, f"/api/search?q={long_q}")
    assert doc["query"] == long_q[:MAX_QUERY_LENGTH]
    assert doc["total"] > 0
    assert any(f"{MAX_QUERY_LENGTH} ký tự" in n for n in doc["notices"])
    response = client.get("/search", query_string={"q": long_q})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'maxlength="{MAX_QUERY_LENGTH}"' in html
    assert "được dùng để tìm" in html


def test_a_year_range_parameter_selects_like_the_query_field(facet_client):
    param = api(facet_client, "/api/search?year=2019..2020")
    typed = api(facet_client, "/api/search?q=year%3A2019..2020")
    by_year = {v["value"]: v["count"] for v in api(facet_client, "/api/search")["facets"]["year"]}
    expected = by_year["2019"] + by_year["2020"]
    assert param["total"] == typed["total"] == expected
    assert {h["year"] for h in param["hits"]} == {2019, 2020}
    assert param["filters"] == {"year": ["2019..2020"]} == typed["filters"]
    assert {"value": "2019..2020", "count": expected, "selected": True} in param["facets"]["year"]
    parsed, _ = page(facet_client, "/search?year=2019..2020")
    assert parsed.total == expected
    chip = next(c for c in parsed.chips if c["text"] == "Năm: 2019..2020 ×")
    assert "year" not in query_of(chip["remove"])


def test_from_after_to_is_a_bad_request(facet_client):
    response = facet_client.get("/api/search?from=2021-01-01&to=2020-01-01")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and "from" in error["message"] and "\n" not in error["message"]
    assert facet_client.get("/search?from=2021-01-01&to=2020-01-01").status_code == 400
    assert api(facet_client, "/api/search?from=2020-09-15&to=2020-09-15")["total"] == 1


def test_an_unknown_filter_value_is_said_and_stays_removable(facet_client):
    doc = api(facet_client, "/api/search?province=Atlantis&year=2020")
    assert doc["total"] == 0
    assert doc["notices"] == ["Không có giá trị «Atlantis» cho bộ lọc Tỉnh/thành."]
    parsed, html = page(facet_client, "/search?province=Atlantis&year=2020")
    assert "Không có giá trị «Atlantis» cho bộ lọc Tỉnh/thành." in html
    chip = next(c for c in parsed.chips if c["text"] == "Tỉnh/thành: Atlantis ×")
    assert query_of(chip["remove"]) == {"year": ["2020"]}
    assert api(facet_client, "/api/search?q=province%3AAtlantis")["notices"] == \
        ["Không có giá trị «Atlantis» cho bộ lọc Tỉnh/thành."]
    assert api(facet_client, "/api/search?province=long+an")["notices"] == []


def test_filters_echo_the_date_range_and_the_filters_typed_in_q(facet_client):
    doc = api(facet_client, "/api/search?q=d%E1%BB%AF+li%E1%BB%87u+province%3A%22Long+An%22+year%3A2021"
                            "&category=C%C3%B4ng+ngh%E1%BB%87&from=2020-01-01&to=2021-12-31")
    assert doc["filters"] == {"province": ["Long An"], "year": [2021], "category": ["Công nghệ"],
                              "from": "2020-01-01", "to": "2021-12-31"}
    assert [h["id"] for h in doc["hits"]] == ["la-2021"]
    # Typed in q and given as a parameter: echoed once.
    assert api(facet_client, "/api/search?q=province%3A%22Long+An%22&province=Long+An")["filters"] == \
        {"province": ["Long An"]}


def test_openapi_documents_year_ranges_and_the_filters_echo(client):
    spec = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert "2019..2021" in params["year"]["description"]
    assert "rút gọn" in params["q"]["description"]
    filters = spec["components"]["schemas"]["SearchResult"]["properties"]["filters"]
    assert {"from", "to"} <= set(filters["properties"])
    assert "from" in spec["paths"]["/api/search"]["get"]["responses"]["400"]["description"]


def test_openapi_states_the_bounds_the_server_enforces(client):
    from search.requests import MAX_PAGE, MAX_SIZE

    spec = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert params["page"]["schema"]["maximum"] == MAX_PAGE and params["page"]["schema"]["minimum"] == 1
    assert params["size"]["schema"]["maximum"] == MAX_SIZE
    assert client.get(f"/api/search?page={MAX_PAGE}").status_code == 200
    assert client.get(f"/api/search?page={MAX_PAGE + 1}").status_code == 400
    # Sent empty, as the page's own form sends an empty date field: the same as absent, and said so.
    assert params["to"]["allowEmptyValue"] is True and params["from"]["allowEmptyValue"] is True
    assert client.get("/api/search?from=&to=&sort=&accents=&page=&size=").status_code == 200
    assert client.get("/api/export?format=").status_code == 200


@pytest.mark.parametrize("query", ["page=1_0", "page=%D9%A3", "size=%EF%BC%95", "from=20200101", "to=2020-W01-1",
                                   "from=2020-1-5", "year=abc", "year=12345"])
def test_values_outside_the_description_are_refused(client, query):
    assert client.get(f"/api/search?{query}").status_code == 400

"""Security of the web front end: headers, escaping of hostile data and queries, no 500 for any input."""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from werkzeug.test import EnvironBuilder

from helpers import client_of, index_of
from web import SECURITY_HEADERS, create_app

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
HOSTILE_QUERIES = [SCRIPT, ATTRIBUTE, "' onmouseover='alert(1)", "</title><script>alert(1)</script>",
                   "javascript:alert(1)", "{{7*7}}", "<mark>x</mark>"]

# Articles whose every field is an attack; the page must show them as text.
HOSTILE_ARTICLES = [
    {"id": "hostile-1", "title": f"{SCRIPT} Tin về dữ liệu",
     "text": f"Bài viết về dữ liệu mở {ATTRIBUTE} và {SCRIPT} ở giữa văn bản, cùng thông tin khác.",
     "published": "2020-05-01", "province": "Long An",
     "category": ATTRIBUTE, "source": SCRIPT, "author": "' onmouseover='alert(1)",
     "url": "javascript:alert(1)"},
    {"id": "<script>alert(2)</script>", "title": "Mã bài viết độc hại",
     "text": "Bài viết về dữ liệu có mã chứa thẻ script.", "published": "2021-01-02",
     "category": "Thời sự", "source": "Báo \"Trích dẫn\" & <Góc nhọn>", "url": "https://example.org/a?b=1&c=<x>"},
]


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    return client_of(index_of(tmp_path_factory, HOSTILE_ARTICLES, "hostile"))


def assert_no_markup_injected(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "onerror=alert(1)>" not in html
    assert "href=\"javascript:" not in html.lower()
    for tag in re.findall(r"<script[^>]*>", html):  # only our external script, never inline code
        assert 'src="/static/app.js"' in tag


# ---- headers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/", "/search?q=dai+hoi", "/articles/001_4a7d02fcda62732a.txt", "/api/search?q=x", "/api/articles/001_4a7d02fcda62732a.txt",
    "/api/export?format=csv", "/api/openapi.json", "/healthz", "/static/style.css", "/static/app.js",
    "/nothing", "/api/search?page=0", "/articles/none", "/search?page=abc",
])
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert csp == ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                   "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert SECURITY_HEADERS.items() <= dict(response.headers).items()


ROUTES = ["/", "/search?q=dai+hoi", "/articles/001_4a7d02fcda62732a.txt", "/api/search?q=x",
          "/api/articles/001_4a7d02fcda62732a.txt", "/api/articles/001_4a7d02fcda62732a.txt/related",
          "/api/export?format=csv", "/search.atom?q=x", "/api/openapi.json", "/healthz", "/static/style.css",
          "/nothing"]


def call_with_host(app, url: str, host: str) -> tuple[int, dict, str]:
    """The app called as a WSGI server would (the test client itself chokes on some Host values)."""
    path, _, query = url.partition("?")
    environ = EnvironBuilder(path=path, query_string=query).get_environ()
    environ["HTTP_HOST"] = host
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=int(status.split()[0]), headers=dict(headers))

    body = b"".join(app(environ, start_response)).decode("utf-8")
    return answer["status"], answer["headers"], body


@pytest.mark.parametrize("host", ["a..b", "." * 300, "xn--", "xn--a", "a" * 70 + ".vn"])
@pytest.mark.parametrize("url", ROUTES)
def test_a_bad_host_header_answers_400_with_the_security_headers(app, url, host):
    status, headers, body = call_with_host(app, url, host)
    assert status == 400
    assert SECURITY_HEADERS.items() <= headers.items()
    assert "Host" in body and "Traceback" not in body


@pytest.mark.parametrize("host", ["[::1]:5204", "localhost:5000", "tìmkiếm.vn", "127.0.0.1"])
def test_good_host_headers_are_served(app, host):
    assert call_with_host(app, "/search.atom?q=x", host)[0] == 200


def test_pages_have_no_inline_script_or_style(client):
    html = client.get("/search?q=dai+hoi").get_data(as_text=True)
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js" defer>']
    assert "<style" not in html and " style=" not in html
    assert re.search(r"\son[a-z]+=", html) is None  # no event-handler attributes


def test_app_never_runs_in_debug_mode(sample_index_dir):
    app = create_app(index_dir=sample_index_dir, DEBUG=True)
    assert app.debug is False
    assert app.config["MAX_CONTENT_LENGTH"] <= 64 * 1024


def test_large_bodies_are_refused(client):
    response = client.get("/api/search", data="x" * 200_000)
    assert response.status_code in (200, 413)  # a GET body is never read; a large one may be refused
    assert client.post("/search", data="x" * 200_000).status_code in (405, 413)


# ---- escaping ---------------------------------------------------------------------------------

@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_queries_are_escaped_in_the_page(client, q):
    for url in (f"/search?q={quote(q)}", f"/search?q={quote(q)}&province={quote(q)}",
                f"/articles/001_4a7d02fcda62732a.txt?q={quote(q)}&province={quote(q)}"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert_no_markup_injected(html)


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_queries_are_escaped_in_json(client, q):
    response = client.get(f"/api/search?q={quote(q)}&size=100")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["query"] == q  # echoed as data, inside a JSON string
    for hit in doc["hits"]:
        assert "<script" not in hit["title_html"] + hit["snippet_html"]
        assert re.sub(r"</?mark>", "", hit["snippet_html"]).count("<") == 0


def test_hostile_query_in_an_error_page_is_escaped(client):
    response = client.get(f"/search?q={quote(SCRIPT)}&page={quote(ATTRIBUTE)}")
    assert response.status_code == 400
    assert_no_markup_injected(response.get_data(as_text=True))
    response = client.get(f"/api/search?year={quote(SCRIPT)}")
    assert response.status_code == 400
    assert response.mimetype == "application/json"


def test_hostile_article_fields_are_escaped_in_results_and_facets(hostile_client):
    for url in ("/search", "/search?q=d%E1%BB%AF+li%E1%BB%87u", f"/search?category={quote(ATTRIBUTE)}",
                f"/search?source={quote(SCRIPT)}"):
        html = hostile_client.get(url).get_data(as_text=True)
        assert_no_markup_injected(html)
    html = hostile_client.get(f"/search?category={quote(ATTRIBUTE)}").get_data(as_text=True)
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html  # shown as text, in a chip and a facet


def test_hostile_article_page_is_escaped_and_unsafe_links_are_not_links(hostile_client):
    response = hostile_client.get("/articles/hostile-1?q=d%E1%BB%AF+li%E1%BB%87u")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert_no_markup_injected(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<dd>javascript:alert(1)</dd>" in html  # shown, not linked
    assert "<mark>dữ liệu</mark>" in html


def test_hostile_article_id_is_escaped_in_links(hostile_client):
    html = hostile_client.get("/search?q=m%C3%A3+b%C3%A0i+vi%E1%BA%BFt").get_data(as_text=True)
    assert "/articles/%3Cscript%3Ealert(2)%3C/script%3E" in html
    assert_no_markup_injected(html)
    response = hostile_client.get("/articles/%3Cscript%3Ealert(2)%3C/script%3E")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_no_markup_injected(page)
    assert '<a href="https://example.org/a?b=1&amp;c=&lt;x&gt;" rel="noopener noreferrer nofollow">' in page


def test_hostile_values_in_export_are_data(hostile_client):
    body = hostile_client.get("/api/export?format=jsonl").get_data(as_text=True)
    assert {json.loads(line)["id"] for line in body.splitlines()} == {a["id"] for a in HOSTILE_ARTICLES}
    response = hostile_client.get(f"/api/export?format=csv&q={quote(SCRIPT)}")
    assert response.headers["Content-Disposition"] == 'attachment; filename="vnsearch-script-alert-1-script.csv"'


# ---- no input produces a 500 ------------------------------------------------------------------

STRANGE = [
    "", " ", "\x00", "a\x00b", "\ufeff", "\u0301", "d\u0323ai ho\u0323\u0302i", "🙂", "𝔡𝔞𝔦", "\ud800",
    '"', '""', '"unclosed', "-", "--", "-dai", "OR", "OR OR OR", "dai OR", "(", ")", "((((", "*", "?", "~",
    "title:", "title:\"\"", "province:", "year:", "year:abc", "year:2019..", "year:..2020", "year:2021..2019",
    "year:99999999999999999999", "a:b:c", "\\", "%", "%00", "&", "+", "::", "[]", "{}", "^", ".",
    "a" * 1000, "a" * 1001, "đại hội " * 200, "x " * 600, "\n\r\t", "<>", "&amp;", "null", "NaN",
]
ROUTES = ["/search?q={}", "/api/search?q={}", "/api/export?format=jsonl&q={}", "/articles/{}",
          "/api/articles/{}", "/search?province={}", "/api/search?year={}&from={}", "/search?sort={}&page={}",
          "/api/search?size={}", "/articles/001_4a7d02fcda62732a.txt?q={}"]


@pytest.mark.parametrize("value", STRANGE, ids=range(len(STRANGE)))
def test_strange_input_never_causes_a_server_error(client, value):
    encoded = quote(value.encode("utf-8", "surrogatepass"), safe="")
    for route in ROUTES:
        url = route.replace("{}", encoded)
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 400, 404), (url, response.status_code, body[:300])
        assert "Traceback" not in body
        if "/api/" in url and response.status_code != 200:
            assert set(response.get_json()["error"]) == {"code", "message"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=120), province=st.text(max_size=20), page=st.text(max_size=6))
def test_any_query_string_answers_200_or_400(client, q, province, page):
    params = f"q={quote(q.encode('utf-8', 'surrogatepass'), safe='')}&province={quote(province.encode('utf-8', 'surrogatepass'), safe='')}"
    params += f"&page={quote(page.encode('utf-8', 'surrogatepass'), safe='')}"
    for route in ("/api/search", "/search"):
        response = client.get(f"{route}?{params}")
        assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]


def test_invalid_utf8_in_the_url_is_handled(client):
    for url in ("/search?q=%C3%28", "/api/search?q=%FF%FE", "/articles/%C3%28", "/api/articles/%FF"):
        assert client.get(url).status_code in (200, 400, 404)


def test_unexpected_errors_answer_a_generic_500_without_traceback(sample_index_dir):
    class BrokenIndex:
        def get(self):
            raise RuntimeError("secret internal detail")

    app = create_app(index_dir=sample_index_dir)
    app.extensions["vnsearch_index"] = BrokenIndex()
    client = app.test_client()
    response = client.get("/api/search?q=x")
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal_error",
                                             "message": "Đã xảy ra lỗi không mong muốn. Vui lòng thử lại sau."}}
    html = client.get("/search?q=x").get_data(as_text=True)
    assert "secret internal detail" not in html and "Traceback" not in html
    assert "Đã xảy ra lỗi" in html


@pytest.mark.parametrize("url", ["/api/articles/" + "x" * 100_000, "/articles/" + "x" * 100_000,
                                 "/api/search?year=" + "x" * 100_000, "/api/search?from=" + "x" * 100_000,
                                 "/api/search?page=" + "9" * 100_000, "/api/export?format=" + "x" * 100_000])
def test_a_long_value_is_cut_in_the_error_message(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    body = response.get_data(as_text=True)
    assert len(body) < 5_000 and "x" * 101 not in body and "9" * 101 not in body
    assert "…»" in body

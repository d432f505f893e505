"""The OpenAPI 3 description of the JSON API (served at /api/openapi.json), written by hand."""
from __future__ import annotations

from dataclasses import fields

from search.articles import FACET_FIELDS, OUTPUT_FIELDS, UNKNOWN
from search.export import CSV_COLUMNS
from search.query.limits import MAX_PREFIX_TERMS, MAX_SLOP
from search.related import RELATED_SIZE
from search.results import Hit
from search.requests import (ACCENTS, DEFAULT_SIZE, MAX_ALTERNATIVES, MAX_PAGE, MAX_PHRASES, MAX_QUERY_LENGTH,
                             MAX_SIZE, MAX_TERMS, SORTS, TIME_BUDGET_SECONDS)
from search.timeline import UNITS

from .params import EXPORT_FORMATS


def _facet_param(name: str, description: str, items: dict | None = None) -> dict:
    return {
        "name": name, "in": "query", "required": False, "description": description,
        "schema": {"type": "array", "items": items or {"type": "string"}},
        "style": "form", "explode": True,
    }


def _scalar_param(name: str, schema: dict, description: str = "") -> dict:
    """An optional query parameter; sent empty (`to=`, as the page's form sends an empty date
    field) it counts as absent, which allowEmptyValue says."""
    return {"name": name, "in": "query", "required": False, "allowEmptyValue": True,
            "description": (description + " " if description else "") + "Để trống: như không có tham số này.",
            "schema": schema}


# What the server accepts for a year (search.facets.is_year, year_span, and «Không rõ»), spaces aside.
YEAR_PATTERN = rf"^\s*(?:[0-9]{{1,4}}(?:\s*\.\.\s*[0-9]{{1,4}})?|{UNKNOWN})?\s*$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


SEARCH_PARAMETERS = [
    {"name": "q", "in": "query", "required": False,
     "description": "Câu truy vấn: từ, \"cụm từ\", \"bão lũ\"~5 (các âm tiết theo thứ tự bất kỳ, giữa chúng "
                    f"nhiều nhất 5 âm tiết khác; N tối đa {MAX_SLOP}), thông* (tiền tố của một âm tiết, dấu đúng "
                    f"như gõ: thông* ≠ thong*; tối đa {MAX_PREFIX_TERMS} âm tiết thường gặp nhất, kèm thông báo "
                    "khi bị cắt), -loại_trừ, OR, title:, province:, year:2019..2021. "
                    f"Để trống: mọi bài, mới nhất trước. Dài hơn {MAX_QUERY_LENGTH} ký tự vẫn được nhận nhưng được rút gọn còn {MAX_QUERY_LENGTH} ký tự đầu "
                    f"(kèm thông báo trong notices). Quá {MAX_PHRASES} cụm từ, {MAX_ALTERNATIVES} lựa chọn OR "
                    f"hoặc {MAX_TERMS} từ thì chỉ các phần đầu được dùng; tìm quá "
                    f"{f'{TIME_BUDGET_SECONDS:g}'.replace('.', ',')} giây thì dừng và trả kết quả đã có "
                    "(kèm thông báo trong notices).",
     "schema": {"type": "string"}},
    _facet_param("province", "Tỉnh/thành (63 đơn vị trước 1/7/2025), khớp với bất kỳ tỉnh nào trong provinces của bài; "
                             f"lặp lại để chọn nhiều (OR); «{UNKNOWN}» chọn bài không rõ."),
    _facet_param("province_2025", "Tỉnh/thành theo 34 đơn vị từ 1/7/2025, khớp với bất kỳ tỉnh nào trong provinces_2025; "
                                  "lặp lại để chọn nhiều."),
    _facet_param("year", f"Năm (1 đến 4 chữ số), khoảng năm (2019..2021) hoặc «{UNKNOWN}»; lặp lại để chọn "
                         "nhiều; giá trị khác trả lời 400.", {"type": "string", "pattern": YEAR_PATTERN}),
    _facet_param("category", "Chuyên mục; lặp lại để chọn nhiều."),
    _facet_param("source", "Nguồn; lặp lại để chọn nhiều."),
    _scalar_param("from", {"type": "string", "format": "date", "pattern": DATE_PATTERN},
                  "Từ ngày (bao gồm), YYYY-MM-DD; không được sau to (nếu sau: 400)."),
    _scalar_param("to", {"type": "string", "format": "date", "pattern": DATE_PATTERN},
                  "Đến ngày (bao gồm), YYYY-MM-DD."),
    _scalar_param("accents", {"type": "string", "enum": list(ACCENTS), "default": "exact"},
                  "exact: dấu gõ vào được tìm đúng như vậy (bão ≠ báo), chữ không dấu khớp mọi dấu; "
                  "ignore: bỏ qua mọi dấu."),
    _scalar_param("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}),
]
PAGING_PARAMETERS = [
    _scalar_param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                  f"Trang, từ 1 đến {MAX_PAGE}."),
    _scalar_param("size", {"type": "integer", "minimum": 1, "maximum": MAX_SIZE, "default": DEFAULT_SIZE},
                  f"Số kết quả mỗi trang, từ 1 đến {MAX_SIZE}."),
]
ARTICLE_ID = {"name": "id", "in": "path", "required": True,
              "description": "Mã bài viết (có thể chứa «/»; «#» phải mã hóa thành %23).",
              "schema": {"type": "string"}}


def _nullable(kind: str) -> dict:
    return {"type": [kind, "null"]}


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


PUBLISHED_DATE = {**_nullable("string"), "format": "date",
                  "description": "Ngày đăng, luôn dạng YYYY-MM-DD (null khi không rõ ngày), kể cả khi published có giờ"}

_PROVINCES = {"type": "array", "items": {"type": "string"},
              "description": "Mọi tỉnh/thành bài viết nói đến, tỉnh chính đứng đầu; [] khi không rõ"}
# Each field of the article JSON (search.articles.OUTPUT_FIELDS), as the API describes it.
ARTICLE_PROPERTIES = {
    "id": {"type": "string"}, "title": {"type": "string"}, "text": {"type": "string"},
    "published": {**_nullable("string"), "description": "Ngày (YYYY-MM-DD) hoặc ngày giờ ISO 8601"},
    "published_date": PUBLISHED_DATE,
    "year": _nullable("integer"), "province": _nullable("string"), "province_2025": _nullable("string"),
    "provinces": _PROVINCES,
    "provinces_2025": {"type": "array", "items": {"type": "string"},
                       "description": "Như provinces, theo 34 đơn vị từ 1/7/2025"},
    "category": _nullable("string"), "source": _nullable("string"), "author": _nullable("string"),
    "url": _nullable("string"),
}
assert tuple(ARTICLE_PROPERTIES) == OUTPUT_FIELDS, "one description per field of the article JSON"
HIT_PROPERTIES = {
    "title_html": {"type": "string", "description": "Tiêu đề đã thoát HTML, từ khóa trong <mark>"},
    "snippet_html": {"type": "string", "description": "Đoạn trích đã thoát HTML, từ khóa trong <mark>"},
    "score": {**_nullable("number"), "description": "Điểm liên quan; null khi sắp xếp theo ngày"},
}

SCHEMAS = {
    "Article": {
        "type": "object",
        "required": ["id", "title", "text"],
        "properties": dict(ARTICLE_PROPERTIES),
    },
    "Hit": {
        "type": "object",
        "required": ["id", "title", "title_html", "snippet_html"],
        "properties": {name: ARTICLE_PROPERTIES.get(name) or HIT_PROPERTIES[name] for name in
                       (f.name for f in fields(Hit))},
    },
    "RelatedResult": {
        "type": "object",
        "required": ["id", "hits", "took_ms"],
        "properties": {
            "id": {"type": "string", "description": "Mã bài viết được hỏi"},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}, "maxItems": RELATED_SIZE,
                     "description": f"Tối đa {RELATED_SIZE} bài giống nhất theo những từ đặc trưng của bài "
                                    "(tf·idf của tiêu đề và nội dung, xếp hạng BM25), trừ chính bài đó và các bản "
                                    "sao của nó; tốt nhất trước"},
            "took_ms": {"type": "number"},
        },
    },
    "FacetValue": {
        "type": "object",
        "required": ["value", "count", "selected"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer"}, "selected": {"type": "boolean"}},
    },
    "SearchResult": {
        "type": "object",
        "required": ["query", "total", "page", "size", "took_ms", "sort", "matching", "accents", "filters",
                     "hits", "facets", "timeline", "notices", "suggestion"],
        "properties": {
            "query": {"type": "string"}, "total": {"type": "integer"},
            "page": {"type": "integer"}, "size": {"type": "integer"}, "took_ms": {"type": "number"},
            "sort": {"type": "string", "enum": list(SORTS),
                     "description": "Thứ tự đã áp dụng: truy vấn rỗng luôn là newest"},
            "matching": {"type": "string", "enum": ["all", "any"],
                         "description": "any: không bài nào chứa mọi từ, kết quả chứa một số từ"},
            "accents": {"type": "string", "enum": ["exact", "ignored"],
                        "description": "ignored: dấu đã bị bỏ qua (theo yêu cầu, hoặc vì tìm đúng dấu không có kết quả)"},
            "notices": {"type": "array", "items": {"type": "string"},
                        "description": "Những điều người dùng cần biết về cách đọc câu truy vấn: bỏ qua dấu, "
                                       "tìm theo một số từ, câu truy vấn bị rút gọn, giá trị lọc không có"},
            "filters": {
                "type": "object",
                "description": "Mọi bộ lọc đang áp dụng: tham số và bộ lọc gõ trong q (province:…, year:…), "
                               "cùng khoảng ngày",
                "properties": {
                    **{name: {"type": "array", "items": {"type": ["string", "integer"]}} for name in FACET_FIELDS},
                    "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                },
            },
            "from": _nullable("string"), "to": _nullable("string"),
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {
                "type": "object",
                "properties": {name: {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}
                               for name in FACET_FIELDS},
            },
            "timeline": {
                "type": "object", "required": ["unit", "buckets"],
                "description": "Số bài được chọn theo ngày (khi các ngày trải dài không quá 92 ngày), tháng, "
                               "hoặc năm (khi trải dài hơn khoảng 15 năm), mọi kỳ từ kỳ đầu đến kỳ cuối; "
                               "bài không rõ ngày không được tính",
                "properties": {
                    "unit": {"type": "string", "enum": list(UNITS)},
                    "buckets": {"type": "array", "items": {
                        "type": "object", "required": ["period", "count", "share"],
                        "properties": {
                            "period": {"type": "string", "examples": ["2020-05-31", "2020-05", "2020"]},
                            "count": {"type": "integer"},
                            "share": {"type": "number", "minimum": 0, "maximum": 1,
                                      "description": "count chia cho số bài của kỳ đó trong toàn chỉ mục"},
                        }}},
                },
            },
            "suggestion": {**_nullable("string"), "description": "Câu truy vấn gợi ý khi có ít kết quả"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string", "examples": ["bad_request", "not_found", "index_missing"]},
                           "message": {"type": "string"}},
        }},
    },
}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "vnsearch API",
            "version": "0.1.0",
            "description": "Tìm kiếm toàn văn tin tức tiếng Việt: tìm theo từ khóa (có hoặc không dấu), "
                           "lọc theo tỉnh/thành, năm, chuyên mục, nguồn; xuất kết quả; các bài liên quan đến một bài.",
        },
        "paths": {
            "/api/search": {"get": {
                "summary": "Tìm kiếm bài viết (một trang kết quả, kèm bộ lọc và số đếm)",
                "operationId": "search",
                "parameters": SEARCH_PARAMETERS + PAGING_PARAMETERS,
                "responses": {
                    "200": {"description": "Kết quả tìm kiếm",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}}}},
                    "400": _error_response("Tham số không hợp lệ (page=0, size=100000, year=abc, from=yesterday, "
                                           "from sau to…)"),
                    "503": _error_response("Chưa có chỉ mục"),
                },
            }},
            "/api/articles/{id}": {"get": {
                "summary": "Một bài viết",
                "operationId": "getArticle",
                "parameters": [ARTICLE_ID],
                "responses": {
                    "200": {"description": "Bài viết",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Article"}}}},
                    "404": _error_response("Không có bài viết với mã này"),
                },
            }},
            "/api/articles/{id}/related": {"get": {
                "summary": "Các bài liên quan đến một bài viết (cũng hiện trên trang bài viết: «Bài liên quan»)",
                "operationId": "getRelated",
                "parameters": [ARTICLE_ID],
                "responses": {
                    "200": {"description": "Các bài liên quan",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RelatedResult"}}}},
                    "404": _error_response("Không có bài viết với mã này"),
                },
            }},
            "/api/export": {"get": {
                "summary": "Mọi kết quả của truy vấn (không phân trang), truyền dần",
                "operationId": "export",
                "parameters": SEARCH_PARAMETERS + [
                    _scalar_param("format", {"type": "string", "enum": list(EXPORT_FORMATS), "default": "csv"}),
                ],
                "responses": {
                    "200": {"description": "Tệp đính kèm (Content-Disposition)",
                            "content": {
                                "text/csv": {"schema": {"type": "string",
                                                        "description": "UTF-8 có BOM (mở đúng tiếng Việt trong Excel); "
                                                                       "ô bắt đầu bằng =, +, -, @, tab hoặc CR được "
                                                                       "thêm dấu ' ở đầu để không thành công thức"},
                                             "example": ",".join(CSV_COLUMNS)},
                                "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Article"}},
                            }},
                    "400": _error_response("Tham số không hợp lệ"),
                },
            }},
            "/search.atom": {"get": {
                "summary": "Tìm kiếm dưới dạng nguồn tin Atom: 50 bài mới nhất của cùng tìm kiếm",
                "description": "Cùng tham số với /api/search (page, size, sort được kiểm tra nhưng luôn là 50 bài "
                               "mới nhất). Mã mỗi mục (tag:vnsearch,2026:article:…) lấy từ mã bài viết nên không "
                               "đổi khi dựng lại chỉ mục; bài không rõ ngày nằm cuối, updated là giờ của nguồn tin.",
                "operationId": "searchFeed",
                "parameters": SEARCH_PARAMETERS + PAGING_PARAMETERS,
                "responses": {
                    "200": {"description": "Atom 1.0, UTF-8",
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}}},
                    "400": _error_response("Tham số không hợp lệ"),
                    "503": _error_response("Chưa có chỉ mục"),
                },
            }},
            "/api/openapi.json": {"get": {
                "summary": "Tài liệu OpenAPI này", "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {}}}},
            }},
            "/healthz": {"get": {
                "summary": "Tình trạng dịch vụ và số bài viết", "operationId": "health",
                "responses": {
                    "200": {"description": "Đang chạy", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["status", "articles"],
                        "properties": {"status": {"const": "ok"}, "articles": {"type": "integer"}}}}}},
                    "503": _error_response("Chưa có chỉ mục"),
                },
            }},
        },
        "components": {"schemas": SCHEMAS},
    }

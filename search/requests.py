"""A search request: its parameters, their limits and their validation (the CLI, the web and
the OpenAPI description read the limits from here; what one query may cost is written in
query/limits.py and re-exported here)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from .articles import FACET_FIELDS, UNKNOWN
from .errors import BadRequest, shown
from .facets import filter_key, is_year, year_span
from .query.limits import MAX_ALTERNATIVES, MAX_PHRASES, MAX_TERMS, TIME_BUDGET_SECONDS  # noqa: F401

SORTS = ("relevance", "newest", "oldest")
ACCENTS = ("exact", "ignore")  # a request's: marks as typed, or marks ignored
MAX_SIZE = 100
DEFAULT_SIZE = 10
MAX_QUERY_LENGTH = 1000  # characters; a longer query is shortened to this, with a notice
MAX_PAGE = 10_000
MAX_GROUP_LENGTH = 1000  # characters of a group id (an article id)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # what the OpenAPI description says


@dataclass
class SearchRequest:
    q: str = ""
    # facet name -> selected values (OR within a facet, AND across facets);
    # "Không rõ" selects the articles without that field.
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None  # ISO date, inclusive
    sort: str = "relevance"
    page: int = 1
    size: int = DEFAULT_SIZE
    accents: str = "exact"  # "ignore": search as if typed without marks
    collapse: bool = True  # each group of republished copies listed once, by its best hit
    group: str | None = None  # only the group of republished copies of this article id (search/collapse.py)


def shortened(request: SearchRequest) -> tuple[SearchRequest, list[str]]:
    """A query over the length limit is cut to it, and the user is told."""
    if len(request.q) <= MAX_QUERY_LENGTH:
        return request, []
    notice = (f"Câu truy vấn dài hơn {MAX_QUERY_LENGTH} ký tự nên chỉ {MAX_QUERY_LENGTH} ký tự đầu "
              "được dùng để tìm.")
    return replace(request, q=request.q[:MAX_QUERY_LENGTH]), [notice]


def _iso_date(value: str | None, name: str) -> None:
    if value is None:
        return
    try:
        if not ISO_DATE.fullmatch(value):  # fromisoformat also takes 20200101 and 2020-W01-1
            raise ValueError(value)
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Tham số {name} phải là ngày dạng YYYY-MM-DD, không phải {shown(value)}") from None


def validate(request: SearchRequest, paging: bool = True) -> None:
    """Raise BadRequest, with a one-line Vietnamese message, for anything out of contract."""
    if len(request.q) > MAX_QUERY_LENGTH:  # callers shorten it first (shortened)
        raise BadRequest(f"Câu truy vấn quá dài (tối đa {MAX_QUERY_LENGTH} ký tự)")
    if request.sort not in SORTS:
        raise BadRequest(f"sort phải là một trong {', '.join(SORTS)}")
    if request.accents not in ACCENTS:
        raise BadRequest(f"accents phải là một trong {', '.join(ACCENTS)}")
    if paging:
        if not isinstance(request.page, int) or not 1 <= request.page <= MAX_PAGE:
            raise BadRequest(f"page phải là số nguyên từ 1 đến {MAX_PAGE}")
        if not isinstance(request.size, int) or not 1 <= request.size <= MAX_SIZE:
            raise BadRequest(f"size phải là số nguyên từ 1 đến {MAX_SIZE}")
    for name, values in request.filters.items():
        if name not in FACET_FIELDS:
            raise BadRequest(f"Không có bộ lọc {shown(name)}")
        if name == "year":
            for value in values:
                if (filter_key(str(value)) != filter_key(UNKNOWN) and not is_year(str(value))
                        and not year_span(str(value))):
                    raise BadRequest(f"year phải là số năm, khoảng năm (2019..2021) hoặc «{UNKNOWN}», "
                                     f"không phải {shown(value)}")
    if not isinstance(request.collapse, bool):
        raise BadRequest("collapse phải là true hoặc false")
    if request.group is not None and (not isinstance(request.group, str) or len(request.group) > MAX_GROUP_LENGTH):
        raise BadRequest(f"group phải là mã của một bài viết (tối đa {MAX_GROUP_LENGTH} ký tự)")
    _iso_date(request.date_from, "from")
    _iso_date(request.date_to, "to")
    if request.date_from and request.date_to and date.fromisoformat(request.date_from) > date.fromisoformat(request.date_to):
        raise BadRequest(f"Ngày bắt đầu (from={request.date_from}) phải trước hoặc bằng "
                         f"ngày kết thúc (to={request.date_to})")

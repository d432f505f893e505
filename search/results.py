"""What a search answers (SearchResult, its hits and facet values), shared by the library, the
CLI and the web; the request and its limits are in requests.py."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from . import highlight
from .articles import FACET_FIELDS, OUTPUT_FIELDS, Article
from .timeline import Timeline

# How the user reads each facet's name (notices, the page).
FACET_TITLES = {
    "province": "Tỉnh/thành",
    "province_2025": "Tỉnh/thành (từ 1/7/2025)",
    "year": "Năm",
    "category": "Chuyên mục",
    "source": "Nguồn",
}


@dataclass
class Hit:
    id: str
    title: str
    title_html: str
    snippet_html: str
    published: str | None  # ISO date or local datetime, as stated
    published_date: str | None  # YYYY-MM-DD, the day of `published`
    year: int | None
    province: str | None
    province_2025: str | None
    provinces: list[str]  # every province it is about, main first ([] when unknown)
    provinces_2025: list[str]
    source: str | None
    author: str | None
    url: str | None
    score: float | None
    category: str | None = None


@dataclass
class FacetValue:
    value: str  # "Không rõ" for articles without the field
    count: int
    selected: bool


@dataclass
class SearchResult:
    query: str  # as searched: shortened to requests.MAX_QUERY_LENGTH
    total: int
    page: int
    size: int
    took_ms: float
    sort: str  # the order applied: an empty query's relevance is newest first
    matching: str  # "all": every word matched; "any": fell back to any word
    filters: dict[str, list]
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    accents: str = "exact"  # "exact": marks as typed; "ignored": marks ignored (asked, or nothing found)
    notices: list[str] = field(default_factory=list)  # in Vietnamese: how the query was read
    query_filters: dict[str, list] = field(default_factory=dict)  # typed in q: province:…, year:2019..2021
    timeline: Timeline = field(default_factory=Timeline)  # the selected dated articles by period

    def echoed_filters(self) -> dict:
        """Every filter applied, from the parameters and from q, with the date range."""
        out: dict = {}
        for name in FACET_FIELDS:
            values = list(self.filters.get(name, []))
            values += [v for v in self.query_filters.get(name, []) if v not in values]
            if values:
                out[name] = values
        if self.date_from:
            out["from"] = self.date_from
        if self.date_to:
            out["to"] = self.date_to
        return out

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def to_dict(self) -> dict:
        """The `/api/search` and `search --json` document (README, "JSON API")."""
        doc = {
            "query": self.query, "total": self.total, "page": self.page, "size": self.size,
            "took_ms": self.took_ms, "sort": self.sort, "matching": self.matching,
            "accents": self.accents, "filters": self.echoed_filters(),
            "hits": [asdict(h) for h in self.hits],
            "facets": {name: [asdict(v) for v in self.facets.get(name, [])] for name in FACET_FIELDS},
            "timeline": self.timeline.to_dict(),
            "notices": self.notices,
            "suggestion": self.suggestion,
        }
        if self.date_from or self.date_to:
            doc["from"], doc["to"] = self.date_from, self.date_to
        return doc


@dataclass
class RelatedResult:
    """What `/api/articles/<id>/related` and `vnsearch related --json` answer."""
    id: str  # the article they are related to
    hits: list[Hit]  # the most similar others, best first (no query: nothing marked)
    took_ms: float

    def to_dict(self) -> dict:
        return {"id": self.id, "hits": [asdict(h) for h in self.hits], "took_ms": self.took_ms}


HIT_ARTICLE_FIELDS = tuple(f.name for f in fields(Hit) if f.name in OUTPUT_FIELDS)  # what a hit shows of its article


def hit_of(article: Article, score, forms: set[tuple[str, ...]]) -> Hit:
    """A hit: the article with what matched (`forms`, ParsedQuery.match_forms) marked in its
    title and best snippet."""
    return Hit(title_html=highlight.mark(article.title, forms), snippet_html=highlight.snippet(article.text, forms),
               score=score, **{name: getattr(article, name) for name in HIT_ARTICLE_FIELDS})

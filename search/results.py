"""What a search answers (SearchResult, its hits and facet values), shared by the library, the
CLI and the web; the request and its limits are in requests.py."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

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
    group: str | None = None  # its group of republished copies: the id of the group's first article (its own when alone)
    copies: int = 1  # articles of the selection this hit stands for, itself included (1: no copies among them)


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
    articles: int | None = None  # articles selected, copies included (total counts each group once when collapsed)
    collapse: bool = True  # each group of republished copies listed once
    group: str | None = None  # the group asked for (group=<id>), its id as asked

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
        if self.group is not None:
            out["group"] = self.group
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
            "hits": [_plain(h, HIT_FIELDS) for h in self.hits],
            "facets": {name: [{"value": v.value, "count": v.count, "selected": v.selected}
                              for v in self.facets.get(name, [])] for name in FACET_FIELDS},
            "timeline": self.timeline.to_dict(),
            "notices": self.notices,
            "suggestion": self.suggestion,
            "articles": self.total if self.articles is None else self.articles, "collapse": self.collapse,
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
        return {"id": self.id, "hits": [_plain(h, HIT_FIELDS) for h in self.hits], "took_ms": self.took_ms}


HIT_FIELDS = tuple(f.name for f in fields(Hit))
HIT_ARTICLE_FIELDS = tuple(f.name for f in fields(Hit) if f.name in OUTPUT_FIELDS)  # what a hit shows of its article


def hit_of(article: Article, score, forms: set[tuple[str, ...]], group: str | None = None, copies: int = 1) -> Hit:
    """A hit: the article with what matched (`forms`, ParsedQuery.match_forms) marked in its
    title and best snippet; its group of copies (its own id when alone) and how many it stands for."""
    return Hit(title_html=highlight.mark(article.title, forms), snippet_html=highlight.snippet(article.text, forms),
               score=score, group=group or article.id, copies=copies,
               **{name: getattr(article, name) for name in HIT_ARTICLE_FIELDS})


def _plain(record, names: tuple[str, ...]) -> dict:
    """dataclasses.asdict of a flat record (strings, numbers, lists of strings) without its deep
    copy, a fifth of a search's time over the API at 3k articles: lists are copied, nothing else."""
    return {name: (list(v) if isinstance(v := getattr(record, name), list) else v) for name in names}

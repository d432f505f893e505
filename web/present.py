"""SearchResult → plain data for the templates: facets with toggle URLs, chips, pages, chart.

Datasette style: every link is computed here, in Python, so templates only render data.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from search.articles import FACET_FIELDS, UNKNOWN
from search.labels import filter_value
from search.results import FACET_TITLES, Hit, SearchResult
from search.text import fold_accents

from .params import Pairs, UNFILTERED_KEYS, link, only, toggled, with_value, without

SORT_LABELS = {"relevance": "Liên quan nhất", "newest": "Mới nhất", "oldest": "Cũ nhất"}
FACET_SHOWN = 8  # values listed before "Xem thêm"
PAGE_WINDOW = 2  # page numbers shown either side of the current page
CHART_MAX_SPAN = 40  # fill missing years in the chart only when the span is this short
CHART_WIDTH, CHART_BAR_MIN, CHART_BAR_MAX = 220.0, 8.0, 44.0  # px: the sidebar's inner width


def vn_number(n: int) -> str:
    """1234567 → "1.234.567" (Vietnamese groups thousands with dots)."""
    return f"{n:,}".replace(",", ".")


def vn_seconds(took_ms: float) -> str:
    """3.1 ms → "0,003" (Vietnamese decimal comma)."""
    return f"{took_ms / 1000:.3f}".replace(".", ",")


def vn_date(published: str | None) -> str | None:
    """"2020-05-31" or "2020-05-31T08:49:00+07:00" → "31/05/2020"."""
    if not published or len(published) < 10:
        return None
    year, month, day = published[:4], published[5:7], published[8:10]
    if not (year + month + day).isdigit():
        return None
    return f"{day}/{month}/{year}"


def safe_external_url(url: str | None) -> str | None:
    """Only http(s) links leave the site: a `javascript:` URL in the data must not become a link."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


@dataclass
class FacetItem:
    value: str
    count: int
    selected: bool
    toggle_url: str
    id: str  # the checkbox's: from the value, so focus finds the same value after the page reloads


@dataclass
class Facet:
    name: str
    title: str
    items: list[FacetItem]

    @property
    def shown(self) -> list[FacetItem]:
        return self.items[:FACET_SHOWN]

    @property
    def more(self) -> list[FacetItem]:
        return self.items[FACET_SHOWN:]

    @property
    def more_selected(self) -> bool:
        return any(item.selected for item in self.more)

    @property
    def visible(self) -> bool:
        """Hidden when empty, or when its one value is the unknown bucket: nothing to narrow."""
        only_unknown = len(self.items) == 1 and self.items[0].value == UNKNOWN and not self.items[0].selected
        return bool(self.items) and not only_unknown


@dataclass
class HitView:
    hit: Hit
    url: str
    date: str | None
    group_url: str | None = None  # the search narrowed to the hit's group of copies, when it stands for several
    copies_text: str | None = None  # "2 bản đăng lại"


@dataclass
class Chip:
    title: str
    value: str
    remove_url: str


@dataclass
class PageLink:
    number: int | None  # None: an ellipsis
    url: str | None = None
    current: bool = False


@dataclass
class Bar:
    year: str
    label: str  # "" when labels would crowd
    count: int
    selected: bool
    toggle_url: str | None
    x: float
    y: float
    height: float


@dataclass
class YearChart:
    bars: list[Bar]
    width: float
    height: float
    bar_width: float
    label_y: float


@dataclass
class TimelineBar:
    period: str
    title: str  # "Tháng 05/2020: 3 bài viết (25% số bài của kỳ)"
    count: int
    url: str | None  # the search narrowed to the period; None for an empty one
    x: float
    y: float
    height: float


@dataclass
class TimelineChart:
    unit_title: str  # "Theo tháng"
    bars: list[TimelineBar]
    labels: list[tuple[float, str]]  # (x, text) under the axis, spaced so they do not crowd
    width: float
    height: float
    bar_width: float
    label_y: float


@dataclass
class SortOption:
    value: str  # "" for the order this query gets anyway, so it stays out of the URL
    label: str
    selected: bool


@dataclass
class SearchPage:
    result: SearchResult
    total_text: str  # "1.234"
    seconds_text: str  # "0,004"
    hits: list[HitView]
    facets: list[Facet]
    chips: list[Chip]
    clear_url: str | None
    pages: list[PageLink]
    prev_url: str | None
    next_url: str | None
    suggestion_url: str | None
    export_urls: dict[str, str]
    year_chart: YearChart | None
    sorts: list[SortOption]
    feed_url: str  # the same search as an Atom feed
    timeline: TimelineChart | None = None
    articles_text: str = ""  # articles selected, copies included ("1.234")
    collapse_url: str | None = None  # the same search with groups of copies collapsed, or not
    collapse_label: str | None = None


def search_page(result: SearchResult, pairs: Pairs) -> SearchPage:
    # An article found with marks ignored is highlighted the same way on its page.
    hit_pairs = with_value(pairs, "accents", "ignore") if result.accents == "ignored" else pairs
    facets = [_facet(name, result, pairs) for name in FACET_FIELDS]
    chips = _chips(result, pairs)
    prev_url, pages, next_url = _pagination(result, pairs)
    return SearchPage(
        result=result,
        total_text=vn_number(result.total),
        seconds_text=vn_seconds(result.took_ms),
        hits=[_hit_view(hit, hit_pairs, pairs, result) for hit in result.hits],
        facets=facets,
        chips=chips,
        clear_url=link("web.search", only(pairs, *UNFILTERED_KEYS)) if chips else None,
        pages=pages,
        prev_url=prev_url,
        next_url=next_url,
        suggestion_url=(link("web.search", with_value(without(pairs, "page"), "q", result.suggestion))
                        if result.suggestion else None),
        export_urls={fmt: link("web.export", with_value(without(pairs, "page", "size"), "format", fmt))
                     for fmt in ("csv", "jsonl")},
        year_chart=_year_chart(next(f for f in facets if f.name == "year")),
        sorts=_sorts(result, pairs),
        feed_url=link("web.feed", without(pairs, "page", "size", "sort")),
        timeline=timeline_chart(result, pairs),
        articles_text=vn_number(result.articles if result.articles is not None else result.total),
        **_collapse_toggle(result, pairs),
    )


def copies_text(copies: int) -> str:
    """3 → "2 bản đăng lại": the other copies a hit stands for."""
    return f"{vn_number(copies - 1)} bản đăng lại"


def _hit_view(hit: Hit, hit_pairs: Pairs, pairs: Pairs, result: SearchResult) -> HitView:
    view = HitView(hit, article_url(hit.id, hit_pairs), vn_date(hit.published))
    if hit.copies > 1 and result.group is None:
        view.group_url = link("web.search", with_value(without(pairs, "page", "collapse"), "group", hit.group))
        view.copies_text = copies_text(hit.copies)
    return view


def _collapse_toggle(result: SearchResult, pairs: Pairs) -> dict:
    """A link listing every copy when groups collapsed some, and back."""
    if result.group is not None:
        return {}
    if result.collapse and result.articles is not None and result.articles > result.total:
        return {"collapse_url": link("web.search", with_value(without(pairs, "page"), "collapse", "false")),
                "collapse_label": "Hiện cả các bản đăng lại"}
    if not result.collapse:
        return {"collapse_url": link("web.search", without(pairs, "page", "collapse")),
                "collapse_label": "Gộp các bản đăng lại"}
    return {}


def article_url(article_id: str, pairs: Pairs) -> str:
    """The article's page, carrying the search (page included) so it can link back."""
    return link("web.article", pairs, article_id=article_id)


def _facet(name: str, result: SearchResult, pairs: Pairs) -> Facet:
    items, ids = [], set()
    for v in result.facets.get(name, []):
        items.append(FacetItem(v.value, v.count, v.selected, link("web.search", toggled(pairs, name, v.value)),
                               _unique(f"f-{name}-{slug(v.value)}", ids)))
    return Facet(name, FACET_TITLES[name], items)


def slug(value: str) -> str:
    """"Bà Rịa - Vũng Tàu" → "ba-ria-vung-tau": an id-safe form of a facet value."""
    return re.sub(r"[^a-z0-9]+", "-", fold_accents(value).lower()).strip("-") or "x"


def _unique(candidate: str, taken: set[str]) -> str:
    out, n = candidate, 1
    while out in taken:
        n += 1
        out = f"{candidate}-{n}"
    taken.add(out)
    return out


def _sorts(result: SearchResult, pairs: Pairs) -> list[SortOption]:
    """The sort box shows the order applied. The order a query gets without asking submits "", so
    it stays out of the URL and a new query typed into the form gets its own default. An empty
    query (no words to be relevant to) lists newest first, and is not offered relevance."""
    asked = dict(pairs).get("sort", "relevance")
    default = "newest" if result.sort == "newest" and asked == "relevance" else "relevance"
    orders = [s for s in SORT_LABELS if not (default == "newest" and s == "relevance")]
    return [SortOption("" if s == default else s, SORT_LABELS[s], s == result.sort) for s in orders]


def _chips(result: SearchResult, pairs: Pairs) -> list[Chip]:
    chips = []
    for name in FACET_FIELDS:
        for value in result.filters.get(name, []):
            shown = filter_value(name, str(value))  # a code typed in the URL shows as its label
            chips.append(Chip(FACET_TITLES[name], shown, link("web.search", toggled(pairs, name, str(value)))))
    if result.group is not None:
        chips.append(Chip("Nhóm bản đăng lại", result.group, link("web.search", without(pairs, "group", "page"))))
    for key, title in (("from", "Từ ngày"), ("to", "Đến ngày")):
        value = result.date_from if key == "from" else result.date_to
        if value:
            chips.append(Chip(title, vn_date(value) or value, link("web.search", without(pairs, key, "page"))))
    return chips


def _pagination(result: SearchResult, pairs: Pairs) -> tuple[str | None, list[PageLink], str | None]:
    last, current = result.pages, result.page
    if last <= 1 and current == 1:
        return None, [], None

    def url(number: int) -> str:
        return link("web.search", with_value(pairs, "page", number) if number > 1 else without(pairs, "page"))

    numbers = sorted({1, last, *range(max(1, current - PAGE_WINDOW), min(last, current + PAGE_WINDOW) + 1)})
    pages, previous = [], 0
    for number in numbers:
        if number - previous > 1:
            pages.append(PageLink(None))
        pages.append(PageLink(number, url(number), number == current))
        previous = number
    prev_url = url(min(current - 1, last)) if current > 1 else None
    next_url = url(current + 1) if current < last else None
    return prev_url, pages, next_url


def _year_chart(facet: Facet) -> YearChart | None:
    """Bars of the year facet, scaled to the tallest; each bar toggles its year."""
    known = {item.value: item for item in facet.items if item.value.isdigit() and item.count}
    if not known:
        return None
    years = sorted(int(y) for y in known)
    if years[-1] - years[0] <= CHART_MAX_SPAN:
        years = list(range(years[0], years[-1] + 1))
    peak = max(item.count for item in known.values())
    gap = 6.0 if len(years) <= 12 else 2.0
    bar_width = min(CHART_BAR_MAX, max(CHART_BAR_MIN, (CHART_WIDTH - gap * (len(years) - 1)) / len(years)))
    headroom, plot_height, label_height = 14.0, 64.0, 16.0  # count above the bar, year below
    bars = []
    for i, year in enumerate(years):
        item = known.get(str(year))
        count = item.count if item else 0
        height = max(2.0, plot_height * count / peak) if count else 0.0
        bars.append(Bar(
            year=str(year), label=str(year) if bar_width >= 24 or year % 5 == 0 else "", count=count,
            selected=bool(item and item.selected), toggle_url=item.toggle_url if item else None,
            x=round(i * (bar_width + gap), 2), y=round(headroom + plot_height - height, 2), height=round(height, 2),
        ))
    width = round(len(years) * (bar_width + gap) - gap, 2)
    total_height = headroom + plot_height + label_height
    return YearChart(bars, width, total_height, round(bar_width, 2), total_height - 3)


UNIT_TITLES = {"day": "Theo ngày", "month": "Theo tháng", "year": "Theo năm"}
TIMELINE_WIDTH, TIMELINE_PLOT, TIMELINE_GAP = 640.0, 72.0, 1.0  # px, scaled by the SVG's viewBox
TIMELINE_LABELS = 8  # at most this many period labels under the bars


def period_text(unit: str, period: str) -> str:
    """"2020-05-31" → "31/05/2020", "2020-05" → "Tháng 05/2020", "2020" → "Năm 2020"."""
    if unit == "day":
        return vn_date(period) or period
    if unit == "month":
        return f"Tháng {period[5:7]}/{period[:4]}"
    return f"Năm {period}"


def narrowed(pairs: Pairs, start: str, end: str, date_from: str | None, date_to: str | None) -> Pairs:
    """The state with from/to narrowed to a period, within any range already chosen; page 1."""
    low = max(start, date_from) if date_from else start
    high = min(end, date_to) if date_to else end
    return with_value(with_value(without(pairs, "page"), "from", low), "to", high)


def timeline_chart(result: SearchResult, pairs: Pairs) -> TimelineChart | None:
    """The timeline as SVG bars, scaled to the busiest period; each bar narrows the dates to its period."""
    timeline = result.timeline
    if not timeline.buckets or timeline.total == 0:
        return None
    n = len(timeline.buckets)
    gap = TIMELINE_GAP if n > 40 else 3.0
    bar_width = max(1.0, (TIMELINE_WIDTH - gap * (n - 1)) / n)
    peak = max(b.count for b in timeline.buckets)
    headroom, label_height = 4.0, 16.0
    bars = []
    for i, bucket in enumerate(timeline.buckets):
        height = max(2.0, TIMELINE_PLOT * bucket.count / peak) if bucket.count else 0.0
        share = f"{bucket.share * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",")
        title = f"{period_text(timeline.unit, bucket.period)}: {vn_number(bucket.count)} bài viết"
        if bucket.count:
            title += f" ({share}% số bài của kỳ này)"
        url = (link("web.search", narrowed(pairs, bucket.start, bucket.end, result.date_from, result.date_to))
               if bucket.count else None)
        bars.append(TimelineBar(bucket.period, title, bucket.count, url, round(i * (bar_width + gap), 2),
                                round(headroom + TIMELINE_PLOT - height, 2), round(height, 2)))
    step = max(1, -(-n // TIMELINE_LABELS))
    labels = [(round(bar.x + bar_width / 2, 2), _short_period(timeline.unit, bar.period)) for bar in bars[::step]]
    width = round(n * (bar_width + gap) - gap, 2)
    total_height = headroom + TIMELINE_PLOT + label_height
    return TimelineChart(UNIT_TITLES[timeline.unit], bars, labels, width, total_height, round(bar_width, 2),
                         total_height - 3)


def _short_period(unit: str, period: str) -> str:
    if unit == "day":
        return f"{period[8:10]}/{period[5:7]}"
    if unit == "month":
        return f"{period[5:7]}/{period[:4]}"
    return period

"""OpenSearchIndex: SearchIndex's API (search, get, export, stats, health, count, warm_up,
highlight_article) over an OpenSearch alias (read path: nothing here writes).

A request goes through the embedded engine's own code for everything but evaluation: the
query language (query.parse, with the index's vocabulary), the readings tried in turn (as
typed, marks ignored, any word) and their notices, the matching and ranking trees
(query.planner), facets' display (facets.facet_list), highlights and snippets (results.hit_of
over the stored text). What the numpy engine evaluates, OpenSearch does, in one request per
reading: the matching tree and the filters typed in q in `filter` context, the ranking tree
(and the typed sequence's tier) as `should`, the facet filters as `post_filter`, each facet's
counts in a `filter` aggregation holding the other facets' filters, the timeline as a
`date_histogram`, the date orders by `datekey` with undated articles last.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Iterator

from .. import facets, highlight
from ..analysis import syllables
from ..articles import FACET_FIELDS, MULTI_VALUED, Article
from ..errors import ArticleNotFound, ClusterUnavailable, IndexDamaged, IndexMissing, shown
from ..facets import STATS_TOP
from ..query import DEFAULT_WEIGHTS, ParsedQuery, Weights, matching_mode, matching_tree, parse, ranking_tree
from ..query import readings
from ..query import sequence_queries
from ..query.limits import Deadline
from ..requests import MAX_QUERY_LENGTH, SearchRequest, shortened, validate
from ..query.tree import Or, Term
from ..related import MAX_TERMS, RELATED_SIZE, weighed_terms
from ..results import FACET_TITLES, RelatedResult, SearchResult, hit_of
from ..suggest import suggest, suggestion_threshold
from ..timeline import timeline_of_days
from ..vocabulary import Vocabulary
from .compile import Compiler, all_of, date_filter, facet_filter, year_range
from .connection import answered, client_of
from .mapping import main_field, meta_index

TIER = 1e4  # the typed sequence's tier, above any score of a query short enough to have one
FACET_BUCKETS = 10_000  # values of one facet counted per search
EXPORT_PAGE = 1_000
CHECK_SECONDS = 1.0  # how often the alias and the vocabulary's version are looked at
DAY_MS = 86_400_000


@dataclass
class _View:
    """What one index (the alias's target) at one version gives every request."""

    index: str
    version: int
    vocabulary: Vocabulary
    report: dict
    days: dict[int, int]  # articles per day (days since 1970-01-01): the timeline's shares
    shards: int = 1
    articles: int = 0


class _Frequencies:
    """The vocabulary's document frequencies as Vocabulary.from_reader reads a store."""

    def __init__(self, articles: int, frequencies: list):
        self.articles, self.frequencies = articles, frequencies

    def doc_count(self) -> int:
        return self.articles

    def doc_frequencies(self, fieldname: str):
        return ((term.encode("utf-8"), df) for term, df in self.frequencies)


def load_meta(client, index: str) -> tuple[int, dict, list]:
    """(version, report, [term, df] pairs) from an index's companion meta index."""
    meta = meta_index(index)
    state = client.get(index=meta, id="state")["_source"]
    frequencies: list = []
    for part in range(state.get("parts", 0)):
        frequencies += json.loads(client.get(index=meta, id=f"vocabulary-{part}")["_source"]["terms"])
    return int(state.get("version", 0)), state.get("report", {}), frequencies


class OpenSearchIndex:
    """Open once, use from any thread; a rebuild (the alias moved) or an update is picked up.
    Related articles: search/related.py's distinctive terms as a tree, compiled like a search's."""

    def __init__(self, url: str, weights: Weights = DEFAULT_WEIGHTS):
        self.url = url
        self.client, self.alias = client_of(url)
        self.weights = weights
        self.compiler = Compiler(weights)
        self._lock = threading.Lock()
        self._view: _View | None = None
        self._checked = 0.0
        self._snapshot()  # fail early when there is no index

    # ---- the alias's target and its vocabulary ---------------------------------------

    def _target(self) -> tuple[str, int]:
        with answered(self.url):
            found = self.client.indices.get_alias(name=self.alias)
            if len(found) != 1:
                raise IndexDamaged(f"Bí danh {self.alias} trỏ tới {len(found)} chỉ mục; hãy chạy: "
                                   f"python manage.py rebuild --opensearch {self.url}")
            index = next(iter(found))
            state = self.client.get(index=meta_index(index), id="state")["_source"]
        return index, int(state.get("version", 0))

    def _snapshot(self) -> _View:
        view = self._view
        now = time.monotonic()
        if view is not None and now - self._checked < CHECK_SECONDS:
            return view
        with self._lock:
            if self._view is not None and time.monotonic() - self._checked < CHECK_SECONDS:
                return self._view
            index, version = self._target()
            if self._view is None or (self._view.index, self._view.version) != (index, version):
                with answered(self.url):
                    version, report, frequencies = load_meta(self.client, index)
                    articles = self.client.count(index=index)["count"]
                    settings = self.client.indices.get_settings(index=index, name="index.number_of_shards")
                    shards = int(settings[index]["settings"]["index"]["number_of_shards"])
                    view = _View(index, version, Vocabulary.from_reader(_Frequencies(articles, frequencies)),
                                 report, {}, shards, articles)
                    view.days = _day_counts(self._search(view, {"size": 0, "query": {"match_all": {}},
                                                                "aggs": {"days": _day_histogram()}})
                                            ["aggregations"]["days"])
                self._view = view
            self._checked = time.monotonic()
            return self._view

    def _search(self, view: _View, body: dict) -> dict:
        """One search; with several shards, scored with the whole index's frequencies (dfs). A
        shard that did not answer (no copy of it left) fails the search: no partial totals."""
        search_type = "dfs_query_then_fetch" if view.shards > 1 else "query_then_fetch"
        with answered(self.url):
            found = self.client.search(index=view.index, body=body, search_type=search_type)
        shards = found.get("_shards", {})
        if shards.get("failed"):
            raise ClusterUnavailable(f"OpenSearch tại {self.url}: {shards['failed']}/{shards.get('total')} "
                                     "phân mảnh không trả lời; kết quả sẽ thiếu, hãy thử lại sau")
        return found

    # ---- public API -------------------------------------------------------------------

    def warm_up(self) -> None:
        self._snapshot()
        syllables("khởi động")

    def count(self) -> int:
        view = self._snapshot()
        with answered(self.url):
            return int(self.client.count(index=view.index)["count"])

    def get(self, article_id: str) -> Article:
        from opensearchpy import exceptions

        view = self._snapshot()
        with answered(self.url):
            try:
                found = self.client.get(index=view.index, id=article_id)
            except exceptions.NotFoundError:  # no such id (the index itself was just found)
                found = None
        if not found or not found.get("found"):
            raise ArticleNotFound(f"Không tìm thấy bài viết: {shown(article_id)}")
        return article_of(found["_source"])

    def related(self, article_id: str, size: int = RELATED_SIZE) -> RelatedResult:
        """The `size` articles most like this one (search/related.py's distinctive terms, OR-ed and
        BM25-scored by the cluster, titles double), the article and its copies excluded."""
        from opensearchpy import exceptions

        started = time.perf_counter()
        view = self._snapshot()
        with answered(self.url):
            try:
                stored = self.client.get(index=view.index, id=article_id)["_source"]
            except exceptions.NotFoundError:
                raise ArticleNotFound(f"Không tìm thấy bài viết: {shown(article_id)}") from None
        terms = weighed_terms(view.vocabulary.syllable_df, view.articles, stored, MAX_TERMS)
        hits = []
        if terms:
            should = [Or((Term("title", term, boost=self.weights.title), Term("text", term)), boost=weight)
                      for term, weight in terms]
            copies = [{"ids": {"values": [article_id]}}]
            if stored.get("content"):
                copies.append({"term": {"content": stored["content"]}})
            body = {"size": size, "sort": ["_score", {"seq": "asc"}], "track_scores": True,
                    "query": {"bool": {"should": [self.compiler.query(q) for q in should],
                                       "minimum_should_match": 1, "must_not": copies}}}
            hits = [hit_of(article_of(h["_source"]), round(float(h["_score"]), 4), set())
                    for h in self._search(view, body)["hits"]["hits"]]
        return RelatedResult(article_id, hits, round((time.perf_counter() - started) * 1000, 2))

    def highlight_article(self, article: Article, q: str, ignore_accents: bool = False) -> tuple[str, str]:
        forms = parse(q[:MAX_QUERY_LENGTH], ignore_accents=ignore_accents).match_forms() if q else set()
        return highlight.mark(article.title, forms), highlight.mark(article.text, forms)

    def health(self) -> dict:
        """A real query: the first article found by its title (IndexDamaged when it is not)."""
        view = self._snapshot()
        first = self._search(view, {"size": 1, "sort": [{"seq": "asc"}], "query": {"match_all": {}}})
        hits = first["hits"]["hits"]
        if not hits:
            return {"articles": 0, "generation": view.index}
        stored = hits[0]["_source"]
        words = re.findall(r"\w+", stored.get("title") or stored.get("text") or "")[:6]
        query = '"' + " ".join(words) + '"'
        found = self.search(SearchRequest(q=query, size=50)) if words else None
        if found is not None and found.total <= 50 and stored["id"] not in {hit.id for hit in found.hits}:
            raise IndexDamaged(f"Chỉ mục hỏng: {view.index} (truy vấn kiểm tra {query} không tìm thấy "
                               f"bài {stored['id']}); hãy chạy: python manage.py rebuild --opensearch {self.url}")
        return {"articles": self.count(), "generation": view.index}

    def stats(self) -> dict:
        view = self._snapshot()
        aggs = {"with_" + name: {"filter": {"exists": {"field": name}}} for name in ("province", "year", "source",
                                                                                    "category", "author")}
        for name in ("province", "year", "source", "category"):
            field = main_field(name) if name in MULTI_VALUED else name
            aggs["top_" + name] = {"terms": {"field": field, "size": STATS_TOP, "order": [{"_count": "desc"},
                                                                                         {"_key": "asc"}]}}
        found = self._search(view, {"size": 0, "track_total_hits": True, "aggs": aggs})
        total = found["hits"]["total"]["value"]
        got = found["aggregations"]
        shares = {name: got["with_" + name]["doc_count"] for name in ("province", "year", "source", "category",
                                                                       "author")}
        report = view.report
        return {
            "articles": total,
            "generation": view.index,
            "built_at": report.get("built_at"),
            "source": report.get("source"),
            "duplicates": report.get("duplicates", 0),
            "with": {k: {"count": v, "share": round(v / total, 4) if total else 0.0} for k, v in shares.items()},
            "top": {name: [{"value": b["key_as_string"] if "key_as_string" in b else str(b["key"]),
                            "count": b["doc_count"]} for b in got["top_" + name]["buckets"]]
                    for name in ("province", "year", "source", "category")},
            "skipped": report.get("skipped", []),
        }

    def search(self, request: SearchRequest, deadline: Deadline | None = None) -> SearchResult:
        started = time.perf_counter()
        request, notices = shortened(request)
        validate(request)
        sel = self._selected(request, notices)
        hits = [hit_of(article_of(h["_source"]), self._shown_score(h, sel), sel.parsed.match_forms())
                for h in sel.found["hits"]["hits"]]
        aggregations = sel.found.get("aggregations", {})
        counted = {name: facets.facet_list(name, _facet_counts(aggregations[name]), request.filters.get(name, []))
                   for name in FACET_FIELDS}
        total = sel.total
        suggestion = None
        at_least = suggestion_threshold(total, sel.mode, sel.parsed, sel.typed, sel.view.vocabulary)
        if at_least is not None:
            suggestion = self._suggestion(request.q, sel, at_least)
        return SearchResult(
            query=request.q, total=total, page=request.page, size=request.size,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            sort=sel.sort, matching=sel.mode, filters=facets.public_filters(request.filters),
            hits=hits, facets=counted, suggestion=suggestion,
            date_from=request.date_from, date_to=request.date_to,
            accents=sel.accents, notices=sel.notices,
            query_filters=facets.query_filters(sel.typed),
            timeline=timeline_of_days(_day_counts(aggregations["timeline"]["days"]), sel.view.days),
        )

    def export(self, request: SearchRequest, deadline: Deadline | None = None) -> Iterator[Article]:
        """Every result, in the requested order (read a page of EXPORT_PAGE at a time, by search_after)."""
        request, notices = shortened(request)
        validate(request, paging=False)
        sel = self._selected(request, notices, size=EXPORT_PAGE, aggregate=False)
        return self._exported(sel)

    def export_records(self, request: SearchRequest, deadline: Deadline | None = None) -> Iterator[dict]:
        """Every result as the export writes it (search/export.py), as SearchIndex.export_records;
        copies are not grouped on a cluster, so each article is its own group."""
        for article in self.export(request, deadline):
            yield {**article.to_dict(), "group": article.id, "copies": 1}

    def _exported(self, sel: "_Selection") -> Iterator[Article]:
        found = sel.found
        while True:
            page = found["hits"]["hits"]
            for hit in page:
                yield article_of(hit["_source"])
            if len(page) < EXPORT_PAGE:
                return
            body = dict(sel.body, search_after=page[-1]["sort"])
            body.pop("from", None)
            found = self._search(sel.view, body)

    # ---- one request ------------------------------------------------------------------

    def _selected(self, request: SearchRequest, notices: list[str], **options) -> "_Selection":
        """The selection; asked again once when the index it knew is gone (a rebuild moved the
        alias and deleted the old index within the last CHECK_SECONDS)."""
        try:
            return self._select(request, notices, **options)
        except IndexMissing:
            self._checked = 0.0
            return self._select(request, notices, **options)

    def _select(self, request: SearchRequest, notices: list[str], size: int | None = None,
                aggregate: bool = True) -> "_Selection":
        view = self._snapshot()
        ignore = request.accents == "ignore"
        parsed = parse(request.q, view.vocabulary, ignore_accents=ignore)
        query_filters = [facet_filter(name, values) for name, values in parsed.filters.items()]
        if parsed.year_range:
            query_filters.append(year_range(*parsed.year_range))
        dates = date_filter(request.date_from, request.date_to)
        if dates is not None:
            query_filters.append(dates)
        if request.group:  # no copies are grouped on a cluster: each article is its own group
            query_filters.append({"term": {"id": request.group}})
        own = {name: facet_filter(name, values) for name, values in request.filters.items() if values}
        sort = request.sort if not (parsed.is_empty and request.sort == "relevance") else "newest"
        chosen = None
        for reading, mode in readings(parsed, view.vocabulary, ignore):
            body = self._body(reading, mode, sort, query_filters, own, request, size, aggregate)
            found = self._search(view, body)
            total = found["hits"]["total"]["value"]
            if chosen is None or total:
                chosen = (reading, mode, body, found, total)
            if total:
                break
        reading, mode, body, found, total = chosen
        notices = list(notices) + parsed.notices + self._unknown_values(view, request.filters, parsed)
        folded = reading is not parsed
        accents = "ignored" if ignore or folded else "exact"
        if ignore:
            notices.append("Đang tìm không phân biệt dấu.")
        elif folded:
            notices.append("Không có kết quả đúng dấu như đã gõ; đang hiện kết quả không phân biệt dấu.")
        if mode != matching_mode(reading):
            notices.append(self._why_any(view, reading, query_filters + list(own.values())))
        return _Selection(view, reading, mode, sort, body, found, total, accents, notices, parsed,
                          query_filters + list(own.values()))

    def _body(self, parsed: ParsedQuery, mode: str, sort: str, query_filters: list[dict], own: dict[str, dict],
              request: SearchRequest, size: int | None, aggregate: bool) -> dict:
        matching = self._matching(parsed, mode)
        query: dict = {"bool": {"filter": [matching, *query_filters]}}
        if sort == "relevance":
            should = [self.compiler.query(ranking_tree(parsed, mode, self.weights))]
            sequence = sequence_queries(parsed)
            if sequence is not None:
                title, text = (self.compiler.query(q, scored=False) for q in sequence)
                should.append({"dis_max": {"queries": [{"constant_score": {"filter": title, "boost": 2 * TIER}},
                                                       {"constant_score": {"filter": text, "boost": TIER}}]}})
            query["bool"]["should"] = should
            order = ["_score", {"seq": "asc"}]
        else:
            direction = "desc" if sort == "newest" else "asc"
            order = [{"datekey": {"order": direction, "missing": "_last", "unmapped_type": "keyword"}},
                     {"seq": "asc"}]
        body: dict = {"query": query, "sort": order, "track_total_hits": True, "track_scores": sort == "relevance"}
        if size is None:
            body["from"], body["size"] = (request.page - 1) * request.size, request.size
        else:
            body["size"] = size
        if own:
            body["post_filter"] = all_of(list(own.values()))
        if aggregate:
            aggs = {}
            for name in FACET_FIELDS:
                others = [q for n, q in own.items() if n != name]
                aggs[name] = {"filter": all_of(others), "aggs": {
                    "values": {"terms": {"field": name, "size": FACET_BUCKETS}},
                    "unknown": {"missing": {"field": name}}}}
            aggs["timeline"] = {"filter": all_of(list(own.values())), "aggs": {"days": _day_histogram()}}
            body["aggs"] = aggs
        return body

    def _matching(self, parsed: ParsedQuery, mode: str) -> dict:
        if parsed.is_empty:
            return {"match_all": {}}
        return self.compiler.query(matching_tree(parsed, mode), scored=False)

    def _count(self, view: _View, queries: list[dict]) -> int:
        with answered(self.url):
            return int(self.client.count(index=view.index, body={"query": all_of(queries)})["count"])

    def _unknown_values(self, view: _View, filters: dict[str, list], parsed: ParsedQuery) -> list[str]:
        """A notice for each filter value (a parameter or typed in q) that no article has."""
        asked = [(name, str(v)) for name, values in filters.items() for v in values]
        asked += [(name, str(v)) for name, values in parsed.filters.items() for v in values]
        if parsed.year_range:
            asked.append(("year", "..".join(map(str, parsed.year_range))))
        asked = list(dict.fromkeys(asked))
        if not asked:
            return []
        body = {"size": 0, "aggs": {"asked": {"filters": {"filters": {
            str(i): facet_filter(name, [value]) for i, (name, value) in enumerate(asked)}}}}}
        found = self._search(view, body)
        buckets = found["aggregations"]["asked"]["buckets"]
        return [f"Không có giá trị «{value}» cho bộ lọc {FACET_TITLES[name]}."
                for i, (name, value) in enumerate(asked) if not buckets[str(i)]["doc_count"]]

    def _why_any(self, view: _View, parsed: ParsedQuery, filters: list[dict]) -> str:
        missing = []
        for unit in parsed.units:
            one = ParsedQuery(text=parsed.text, units=[unit])
            if not self._count(view, [self._matching(one, "all"), *filters]):
                missing.append(f"«{_typed(unit)}»")
        if missing:
            return f"Không có bài nào chứa {', '.join(missing)}; đang hiện các bài chứa một số từ."
        words = ", ".join(f"«{_typed(u)}»" for u in parsed.units)
        return f"Không có bài nào chứa đủ tất cả các từ {words}; đang hiện các bài chứa một số từ."

    def _suggestion(self, q: str, sel: "_Selection", at_least: int) -> str | None:
        corrected = suggest(q, sel.view.vocabulary)
        if not corrected or corrected == q:
            return None
        parsed = parse(corrected, sel.view.vocabulary)
        found = self._count(sel.view, [self._matching(parsed, "all"), *sel.filters])
        return corrected if found >= at_least else None

    def _shown_score(self, hit: dict, sel: "_Selection"):
        if sel.sort != "relevance" or hit.get("_score") is None:
            return None
        score = float(hit["_score"])
        score -= TIER * (score // TIER)
        return round(score, 4)


@dataclass
class _Selection:
    view: _View
    parsed: ParsedQuery  # the reading shown
    mode: str
    sort: str
    body: dict
    found: dict
    total: int
    accents: str
    notices: list[str]
    typed: ParsedQuery
    filters: list[dict]  # every filter: typed in q, the dates, the facets'


def article_of(source: dict) -> Article:
    return Article(id=source["id"], title=source["title"], text=source["text"], **source["meta"])


def _day_histogram() -> dict:
    return {"date_histogram": {"field": "day", "calendar_interval": "day", "min_doc_count": 1}}


def _day_counts(aggregation: dict) -> dict[int, int]:
    return {int(b["key"]) // DAY_MS: int(b["doc_count"]) for b in aggregation["buckets"] if b["doc_count"]}


def _facet_counts(aggregation: dict) -> list[tuple[str, int]]:
    counted = [(b.get("key_as_string", str(b["key"])), int(b["doc_count"])) for b in aggregation["values"]["buckets"]]
    counted.sort()
    unknown = int(aggregation["unknown"]["doc_count"])
    return ([("", unknown)] if unknown else []) + counted


def _typed(unit) -> str:
    return " ".join(unit.syllables)

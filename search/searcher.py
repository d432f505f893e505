"""SearchIndex: a warm, self-refreshing view of an index container that answers searches.

Text matching and scoring run on whole posting lists in numpy (search/engine.py), over
Whoosh's index files; filters, facet counts and date sorting run on per-generation column
arrays, so disjunctive facets cost one pass per facet over the matched documents, not one
extra search.
"""
from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Iterator

import numpy as np

from . import highlight, labels
from .analysis import syllables
from .articles import FACET_FIELDS, MULTI_VALUED, UNKNOWN, Article
from .errors import ArticleNotFound, BadRequest
from .engine import Engine
from .store.container import current_generation, read_report
from .store.reader import GenerationReader
from .store.schema import LIST_SEPARATOR, article_from_stored
from .query import (DEFAULT_WEIGHTS, ParsedQuery, Weights, matching_mode, matching_tree, parse, ranking_tree,
                    sequence_queries)
from .results import (ACCENTS, FACET_TITLES, MAX_QUERY_LENGTH, MAX_SIZE, SORTS, FacetValue, Hit, SearchRequest,
                      SearchResult)
from .text import fold_accents
from .suggest import suggest
from .vocabulary import Vocabulary

MAX_PAGE = 10_000
TIER = 1e6  # above any score: articles holding the typed sequence come first (query.planner.sequence_queries)
SUGGEST_BELOW = 3  # results: fewer than this, and a did-you-mean is looked for
STATS_TOP = 10  # values of each facet listed by stats, most articles first


def filter_key(value: str) -> str:
    """Filter values match case- and accent-insensitively: "long an" = "Long An"."""
    return " ".join(fold_accents(value).lower().replace("-", " ").split())


@dataclass
class CodeLists:
    """Every code of a multi-valued facet, flattened: entry k is code `flat[k]` of document
    `owner[k]`; a document without a value has one entry, code 0 (unknown)."""

    owner: np.ndarray  # int64 per entry: its docnum, ascending
    flat: np.ndarray  # int32 per entry: a code


@dataclass
class Columns:
    """Per-document facet codes and date ranks of one index version."""

    size: int
    live: np.ndarray  # bool per docnum: not deleted
    codes: dict[str, np.ndarray]  # facet -> int32 code per docnum (of the main value); code 0 = unknown
    values: dict[str, list[str]]  # facet -> code -> value ("" at 0)
    keys: dict[str, dict[str, list[int]]]  # facet -> filter_key(value) -> codes ("Sức khỏe", "Sức khoẻ")
    dates: list[str]  # docnum -> ISO datekey or ""
    date_rank: np.ndarray  # int per docnum: order by date; -1 when undated
    lists: dict[str, CodeLists] = field(default_factory=dict)  # multi-valued facets (MULTI_VALUED): every code of each document

    @classmethod
    def load(cls, reader: GenerationReader) -> "Columns":
        size, live = reader.size, reader.live
        codes, values, keys, lists = {}, {}, {}, {}
        for name in FACET_FIELDS:
            column = reader.column_strings(name)
            split = [v.split(LIST_SEPARATOR) if v else [] for v in column] if name in MULTI_VALUED else None
            present = {v for parts in split for v in parts} if split is not None else set(column)
            vocab = [""] + sorted(v for v in present if v)
            index = {v: i for i, v in enumerate(vocab)}
            if split is not None:
                per_doc = [[index[v] for v in parts if v] or [0] for parts in split]
                lengths = np.fromiter(map(len, per_doc), dtype=np.int64, count=size)
                flat = np.fromiter((c for doc in per_doc for c in doc), dtype=np.int32, count=int(lengths.sum()))
                lists[name] = CodeLists(np.repeat(np.arange(size, dtype=np.int64), lengths), flat)
                codes[name] = np.fromiter((doc[0] for doc in per_doc), dtype=np.int32, count=size)
            else:
                codes[name] = np.fromiter((index[v] for v in column), dtype=np.int32, count=size)
            values[name] = vocab
            keys[name] = {}
            for i, v in enumerate(vocab):
                if v:
                    keys[name].setdefault(filter_key(v), []).append(i)
        dates = reader.column_strings("datekey")
        ordered = sorted({d for d in dates if d})
        rank = {d: i for i, d in enumerate(ordered)}
        date_rank = np.fromiter((rank.get(d, -1) for d in dates), dtype=np.int64, count=size)
        return cls(size, live, codes, values, keys, dates, date_rank, lists)

    def having(self, name: str, wanted: np.ndarray) -> np.ndarray:
        """Bool per docnum: the document has one of the `wanted` codes of facet `name`."""
        lists = self.lists.get(name)
        if lists is None:
            return np.isin(self.codes[name], wanted)
        mask = np.zeros(self.size, dtype=bool)
        mask[lists.owner[np.isin(lists.flat, wanted)]] = True
        return mask

    def counts(self, name: str, selected: np.ndarray) -> np.ndarray:
        """Documents per code of facet `name` among the selected ones, each under every value it has."""
        lists = self.lists.get(name)
        if lists is None:
            return np.bincount(self.codes[name][selected], minlength=len(self.values[name]))
        return np.bincount(lists.flat[selected[lists.owner]], minlength=len(self.values[name]))


@dataclass
class _View:
    key: tuple
    generation: Path
    store: GenerationReader
    columns: Columns
    vocabulary: Vocabulary
    engine: Engine


class SearchIndex:
    """Open once, use from any thread; a new generation or update is picked up by itself."""

    def __init__(self, index_dir: str | os.PathLike, weights: Weights = DEFAULT_WEIGHTS):
        self.index_dir = Path(index_dir)
        self.weights = weights  # of the evidence ranked by (bench/tune_relevance.py passes others)
        self._lock = threading.Lock()
        self._view: _View | None = None
        self._view_now()  # fail early when there is no index

    def _fresh(self, view: _View | None, generation: Path) -> bool:
        try:
            return view is not None and view.generation == generation and view.store.is_current_version()
        except OSError:
            return False

    def _view_now(self) -> _View:
        """The view of the current generation and version; reloaded when either changed."""
        generation = current_generation(self.index_dir)
        if self._fresh(self._view, generation):
            return self._view
        with self._lock:
            if self._fresh(self._view, generation):
                return self._view
            store = GenerationReader(self.index_dir)
            key = (store.generation, store.version)
            columns = Columns.load(store)
            vocabulary = Vocabulary.from_reader(store)
            self._view = _View(key, store.generation, store, columns, vocabulary, Engine(store, self.weights))
            return self._view

    # ---- public API -------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load what the first search would: the column arrays, the vocabulary, pyvi's model."""
        self._view_now()
        syllables("khởi động")

    def count(self) -> int:
        view = self._view_now()
        return int(view.columns.live.sum())

    def get(self, article_id: str) -> Article:
        stored = self._view_now().store.by_id(article_id)
        if stored is None:
            raise ArticleNotFound(f"Không tìm thấy bài viết: {article_id}")
        return article_from_stored(stored)

    def _select(self, request: SearchRequest, notices: list[str] | None = None) -> "_Selection":
        """Parse, filter and match: the documents a request selects, before paging. Marks are
        meant as typed and every word is required; when that finds nothing, the query is run
        again with marks ignored, then with any word (as typed, then marks ignored), and the
        first reading that finds something is the one shown, with notices saying so."""
        view = self._view_now()
        ignore = request.accents == "ignore"
        parsed = parse(request.q, view.vocabulary, ignore_accents=ignore)
        columns = view.columns
        query_masks = self._query_masks(parsed, columns)
        date_mask = self._date_mask(columns, request.date_from, request.date_to)
        if date_mask is not None:
            query_masks.append(date_mask)
        own_masks = {name: self._facet_mask(columns, name, values)
                     for name, values in request.filters.items() if values}
        filters = query_masks + list(own_masks.values())
        folded = None
        chosen = None
        for reading, mode in _readings(parsed, view.vocabulary, ignore):
            if reading is not parsed:
                folded = reading
            memo: dict = {}  # phrases checked while matching, reused while scoring
            matched = self._matched(view, reading, mode, memo)
            allowed = _combine(matched, filters)
            if chosen is None or allowed.any():
                chosen = (reading, mode, matched, allowed, memo)
            if allowed.any():
                break
        reading, mode, matched, allowed, memo = chosen
        notices = list(notices or []) + self._unknown_values(columns, request.filters, parsed)
        accents = "ignored" if ignore or reading is folded else "exact"
        if ignore:
            notices.append("Đang tìm không phân biệt dấu.")
        elif reading is folded:
            notices.append("Không có kết quả đúng dấu như đã gõ; đang hiện kết quả không phân biệt dấu.")
        if mode != matching_mode(reading):
            notices.append(self._why_any(view, reading, filters))
        sort = request.sort if not (parsed.is_empty and request.sort == "relevance") else "newest"
        return _Selection(view, reading, mode, sort, matched, query_masks, own_masks, allowed, memo,
                          accents, notices, parsed)

    def _why_any(self, view: _View, parsed: ParsedQuery, filters: list[np.ndarray]) -> str:
        """The any-word notice, with its reason: a word no article holds, or no article holding all."""
        missing = []
        for unit in parsed.units:
            one = ParsedQuery(text=parsed.text, units=[unit])
            if not _combine(self._matched(view, one, "all"), filters).any():
                missing.append(f"«{_typed(unit)}»")
        if missing:
            return (f"Không có bài nào chứa {', '.join(missing)}; đang hiện các bài chứa một số từ.")
        words = ", ".join(f"«{_typed(u)}»" for u in parsed.units)
        return f"Không có bài nào chứa đủ tất cả các từ {words}; đang hiện các bài chứa một số từ."

    def _unknown_values(self, columns: Columns, filters: dict[str, list], parsed: ParsedQuery) -> list[str]:
        """A notice for each filter value (a parameter or typed in q) that no article has."""
        asked = [(name, str(v)) for name, values in filters.items() for v in values]
        asked += [(name, str(v)) for name, values in parsed.filters.items() for v in values]
        if parsed.year_range:
            asked.append(("year", "..".join(map(str, parsed.year_range))))
        notices = []
        for name, value in dict.fromkeys(asked):
            if not (self._facet_mask(columns, name, [value]) & columns.live).any():
                notices.append(f"Không có giá trị «{value}» cho bộ lọc {FACET_TITLES[name]}.")
        return notices

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        request, notices = shortened(request)
        validate(request)
        sel = self._select(request, notices)
        columns, parsed = sel.view.columns, sel.parsed
        total = int(sel.allowed.sum())

        facets = {}
        for name in FACET_FIELDS:
            others = [m for n, m in sel.own_masks.items() if n != name]
            base = _combine(sel.matched, sel.query_masks + others)
            facets[name] = self._facet_values(columns, name, base, request.filters.get(name, []))

        suggestion = None
        fell_back = sel.mode != matching_mode(parsed) or sel.parsed is not sel.typed
        unknown_spelling = any(u.accented and any(x not in sel.view.vocabulary.syllable_df for x in u.syllables)
                               for u in sel.typed.units)
        if not parsed.is_empty and (total < SUGGEST_BELOW or fell_back or unknown_spelling):
            # Worth offering when it finds more, or as much but spelled as the index spells it.
            at_least = 1 if fell_back else (max(total, 1) if unknown_spelling else total + 1)
            suggestion = self._suggestion(request.q, sel.view,
                                          sel.query_masks + list(sel.own_masks.values()), at_least)

        docnums, scores = self._page(sel, request.page, request.size)
        forms = parsed.match_forms()
        hits = [self._hit(sel.view.store.stored(d), s, forms) for d, s in zip(docnums, scores)]
        return SearchResult(
            query=request.q, total=total, page=request.page, size=request.size,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            sort=sel.sort, matching=sel.mode, filters=_public_filters(request.filters),
            hits=hits, facets=facets, suggestion=suggestion,
            date_from=request.date_from, date_to=request.date_to,
            accents=sel.accents, notices=sel.notices, query_filters=_query_filters(sel.typed),
        )

    def export(self, request: SearchRequest) -> Iterator[Article]:
        """Every result of the query (not one page), in the requested order. The request is
        checked and the results chosen now; the articles are read as the iterator is consumed."""
        request, notices = shortened(request)
        validate(request, paging=False)
        sel = self._select(request, notices)
        docnums, _ = self._page(sel, 1, max(int(sel.allowed.sum()), 1))
        return (article_from_stored(sel.view.store.stored(d)) for d in docnums)

    def highlight_article(self, article: Article, q: str, ignore_accents: bool = False) -> tuple[str, str]:
        """(title_html, text_html) with the query's syllables marked (every form of each, with
        `ignore_accents`)."""
        forms = parse(q[:MAX_QUERY_LENGTH], ignore_accents=ignore_accents).match_forms() if q else set()
        return highlight.mark(article.title, forms), highlight.mark(article.text, forms)

    def stats(self) -> dict:
        view = self._view_now()
        columns = view.columns
        live = columns.live
        total = int(live.sum())
        report = read_report(view.generation)
        shares, top = {}, {}
        for name in ("province", "year", "source", "category"):
            shares[name] = int((live & (columns.codes[name] > 0)).sum())
            top[name] = self._top_values(columns, name, live)
        shares["author"] = sum(1 for d in view.store.all_stored() if d["meta"].get("author"))
        return {
            "articles": total,
            "generation": view.generation.name,
            "built_at": report.get("built_at"),
            "source": report.get("source"),
            "duplicates": report.get("duplicates", 0),
            "with": {k: {"count": v, "share": round(v / total, 4) if total else 0.0} for k, v in shares.items()},
            "top": top,
            "skipped": report.get("skipped", []),
        }

    # ---- internals --------------------------------------------------------------------

    def _top_values(self, columns: Columns, name: str, live: np.ndarray) -> list[dict]:
        """The STATS_TOP known values of a facet with the most articles, most first."""
        counts = np.bincount(columns.codes[name][live], minlength=len(columns.values[name]))
        counts[0] = 0  # unknown
        codes = sorted(np.flatnonzero(counts), key=lambda code: (-counts[code], columns.values[name][code]))
        return [{"value": columns.values[name][code], "count": int(counts[code])} for code in codes[:STATS_TOP]]

    def _suggestion(self, q: str, view: _View, masks: list[np.ndarray], at_least: int) -> str | None:
        """A corrected query that finds at least `at_least` articles with every word."""
        corrected = suggest(q, view.vocabulary)
        if not corrected or corrected == q:
            return None
        parsed = parse(corrected, view.vocabulary)
        found = _combine(self._matched(view, parsed, "all"), masks).sum()
        return corrected if found >= at_least else None

    def _matched(self, view: _View, parsed: ParsedQuery, mode: str, memo: dict | None = None) -> np.ndarray:
        if not parsed.units and not parsed.excluded:
            return view.columns.live.copy()
        return view.engine.matches(matching_tree(parsed, mode), memo) & view.columns.live

    def _facet_mask(self, columns: Columns, name: str, values: list[str]) -> np.ndarray:
        wanted = []
        for value in values:
            key = filter_key(labels.filter_value(name, str(value)))
            span = year_span(str(value)) if name == "year" else None
            if key == filter_key(UNKNOWN):
                wanted.append(0)
            elif span:
                wanted.extend(_year_codes(columns, *span))
            elif key in columns.keys[name]:
                wanted.extend(columns.keys[name][key])
        return columns.having(name, np.array(wanted, dtype=np.int32))

    def _query_masks(self, parsed: ParsedQuery, columns: Columns) -> list[np.ndarray]:
        masks = [self._facet_mask(columns, name, values) for name, values in parsed.filters.items()]
        if parsed.year_range:
            years = _year_codes(columns, *parsed.year_range)
            masks.append(np.isin(columns.codes["year"], np.array(years, dtype=np.int32)))
        return masks

    def _date_mask(self, columns: Columns, date_from: str | None, date_to: str | None) -> np.ndarray | None:
        if not date_from and not date_to:
            return None
        low, high = date_from or "0000-01-01", date_to or "9999-12-31"
        return np.fromiter((bool(d) and low <= d[:10] <= high for d in columns.dates),
                           dtype=bool, count=columns.size)

    def _facet_values(self, columns: Columns, name: str, base: np.ndarray, selected: list) -> list[FacetValue]:
        counts = columns.counts(name, base)
        selected = [labels.filter_value(name, str(v)) for v in selected]
        selected_keys = {filter_key(v) for v in selected}
        out = []
        for code in np.flatnonzero(counts):
            value = columns.values[name][code] or UNKNOWN
            out.append(FacetValue(value, int(counts[code]), filter_key(value) in selected_keys))
        shown = {filter_key(v.value) for v in out}
        for value in selected:  # a selected range, or a value with no results, stays visible, to be removed
            span = year_span(str(value)) if name == "year" else None
            if span:
                out.append(FacetValue(_span_text(span), int(counts[_year_codes(columns, *span)].sum()), True))
            elif filter_key(str(value)) not in shown:
                out.append(FacetValue(str(value), 0, True))
        if name == "year":
            # A selected range first, then years newest first, the unknown bucket last.
            out.sort(key=lambda v: (v.value == UNKNOWN, -int(v.value) if _is_year(v.value) else -10_000))
        else:
            out.sort(key=lambda v: (v.value == UNKNOWN, -v.count, v.value))
        return out

    def _page(self, sel: "_Selection", page: int, size: int) -> tuple[list[int], list]:
        """Document numbers and scores of one page of the selection, in its sort order."""
        parsed, mode, allowed, sort = sel.parsed, sel.mode, sel.allowed, sel.sort
        columns = sel.view.columns
        start = (page - 1) * size
        candidates = np.flatnonzero(allowed)
        if sort == "relevance":
            if start >= len(candidates):
                return [], []
            _, scores = sel.view.engine.scores(ranking_tree(parsed, mode, self.weights), sel.memo)
            shown = scores
            sequence = sequence_queries(parsed)
            if sequence is not None:  # the typed sequence first: in the title, then in the text
                tiers = np.zeros(len(scores))
                for tier, q in zip((2.0, 1.0), sequence):
                    tiers = np.maximum(tiers, sel.view.engine.matches(q, sel.memo) * tier)
                scores = scores + tiers * TIER
            wanted = scores[candidates]
            shown = shown[candidates]
            end = min(start + size, len(candidates))
            if end < len(candidates):  # only the best `end` need ordering
                keep = np.argpartition(-wanted, end - 1)[:end]
                cut = wanted[keep].min()
                keep = np.flatnonzero(wanted >= cut)  # ties at the cut stay, ordered by docnum below
                candidates, wanted, shown = candidates[keep], wanted[keep], shown[keep]
            order = np.lexsort((candidates, -wanted))[start:end]
            return candidates[order].tolist(), [round(float(s), 4) for s in shown[order]]
        ranks = columns.date_rank[candidates]
        if sort == "newest":
            order = np.lexsort((candidates, -ranks, ranks < 0))
        else:
            order = np.lexsort((candidates, ranks, ranks < 0))
        picked = candidates[order][start:start + size]
        return picked.tolist(), [None] * len(picked)

    def _hit(self, stored: dict, score, forms: set[tuple[str, ...]]) -> Hit:
        article = article_from_stored(stored)
        return Hit(
            id=article.id, title=article.title,
            title_html=highlight.mark(article.title, forms),
            snippet_html=highlight.snippet(article.text, forms),
            published=article.published, published_date=article.published_date, year=article.year,
            province=article.province, province_2025=article.province_2025, provinces=article.provinces,
            provinces_2025=article.provinces_2025, source=article.source, author=article.author,
            url=article.url, score=score, category=article.category,
        )


@dataclass
class _Selection:
    view: _View
    parsed: ParsedQuery
    mode: str  # "all" or "any"
    sort: str  # the effective order: an empty query lists newest first
    matched: np.ndarray  # text matches, before filters
    query_masks: list[np.ndarray]  # filters every facet count respects (from q, dates)
    own_masks: dict[str, np.ndarray]  # facet filters: each facet's counts ignore its own
    allowed: np.ndarray  # matched and every filter
    memo: dict  # the engine's phrase checks, shared by matching and scoring
    accents: str  # "exact" or "ignored"
    notices: list[str]  # how the query was read, in Vietnamese
    typed: ParsedQuery  # the query as typed (`parsed` may be another reading of it)


def _readings(parsed: ParsedQuery, vocabulary: Vocabulary, ignore: bool) -> Iterator[tuple[ParsedQuery, str]]:
    """The ways to read a query, in the order they are tried (each made only when needed): as
    typed, with marks ignored (when it has marks), then with any word for each."""
    readings = [parsed]
    yield parsed, matching_mode(parsed)
    if not ignore and any(u.accented for unit in parsed.units for u in [unit, *unit.alternatives]):
        folded = parse(parsed.text, vocabulary, ignore_accents=True)
        readings.append(folded)
        yield folded, matching_mode(folded)
    for reading in readings:
        if matching_mode(reading) == "all" and len(reading.units) > 1:
            yield reading, "any"


def _typed(unit) -> str:
    return " ".join(unit.syllables)


def _combine(matched: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    out = matched.copy()
    for mask in masks:
        out &= mask
    return out


def _public_filters(filters: dict[str, list]) -> dict[str, list]:
    out = {}
    for name, values in filters.items():
        if values:
            out[name] = [_public_value(name, str(v)) for v in values]
    return out


def _public_value(name: str, value: str):
    """Years as integers, a year range as "2019..2021"; other values as given."""
    if name != "year":
        return value
    if _is_year(value):
        return int(value)
    span = year_span(value)
    return _span_text(span) if span else value


def _query_filters(parsed: ParsedQuery) -> dict[str, list]:
    """The filters typed in q, in the JSON's form."""
    out = _public_filters(parsed.filters)
    if parsed.year_range:
        out.setdefault("year", []).append(_span_text(parsed.year_range))
    return out


def year_span(value: str) -> tuple[int, int] | None:
    """ "2019..2021" → (2019, 2021), either way round; None for anything else."""
    match = re.fullmatch(r"\s*([0-9]{1,4})\s*\.\.\s*([0-9]{1,4})\s*", value)
    if not match:
        return None
    low, high = sorted((int(match.group(1)), int(match.group(2))))
    return low, high


def _span_text(span: tuple[int, int]) -> str:
    return f"{span[0]}..{span[1]}"


def _year_codes(columns: Columns, low: int, high: int) -> list[int]:
    return [code for code, v in enumerate(columns.values["year"]) if v and low <= int(v) <= high]


def shortened(request: SearchRequest) -> tuple[SearchRequest, list[str]]:
    """A query over the length limit is cut to it, and the user is told."""
    if len(request.q) <= MAX_QUERY_LENGTH:
        return request, []
    notice = (f"Câu truy vấn dài hơn {MAX_QUERY_LENGTH} ký tự nên chỉ {MAX_QUERY_LENGTH} ký tự đầu "
              "được dùng để tìm.")
    return replace(request, q=request.q[:MAX_QUERY_LENGTH]), [notice]


def _is_year(value: str) -> bool:
    """ASCII digits only: "²".isdigit() is true, but int("²") fails."""
    return re.fullmatch(r"[0-9]{1,4}", value.strip()) is not None


def _iso_date(value: str | None, name: str) -> None:
    if value is None:
        return
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Tham số {name} phải là ngày dạng YYYY-MM-DD, không phải {value!r}") from None


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
            raise BadRequest(f"Không có bộ lọc {name!r}")
        if name == "year":
            for value in values:
                if (filter_key(str(value)) != filter_key(UNKNOWN) and not _is_year(str(value))
                        and not year_span(str(value))):
                    raise BadRequest(f"year phải là số năm, khoảng năm (2019..2021) hoặc «{UNKNOWN}», "
                                     f"không phải {value!r}")
    _iso_date(request.date_from, "from")
    _iso_date(request.date_to, "to")
    if request.date_from and request.date_to and date.fromisoformat(request.date_from) > date.fromisoformat(request.date_to):
        raise BadRequest(f"Ngày bắt đầu (from={request.date_from}) phải trước hoặc bằng "
                         f"ngày kết thúc (to={request.date_to})")

"""SearchIndex: a warm, self-refreshing view of an index container that answers searches. It
orchestrates: a request (requests.py) is parsed and planned (query/), matched and scored by the
snapshot's engine (engine.py) over its generation (store/), filtered and counted by facet
(facets.py), paged here and answered as a SearchResult (results.py).

Text matching and scoring run on whole posting lists in numpy; filters, facet counts and date
sorting run on per-generation column arrays, so disjunctive facets cost one pass per facet over
the matched documents, not one extra search.
"""
from __future__ import annotations

import os
import re
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from . import highlight
from .analysis import syllables
from .articles import FACET_FIELDS, Article
from .errors import ArticleNotFound, IndexDamaged, shown
from . import facets
from .facets import combine
from .query import DEFAULT_WEIGHTS, ParsedQuery, Weights, matching_mode, matching_tree, parse, readings
from .paging import page_of
from .related import RELATED_SIZE, related
from .query.limits import COURTESY_SECONDS, HEAVY_AT_ONCE, Deadline, is_heavy, looks_heavy
from .requests import MAX_QUERY_LENGTH, SearchRequest, shortened, validate
from .results import RelatedResult, SearchResult, hit_of
from .snapshot import Snapshot
from .stats import index_stats
from .store.container import current_generation
from .store.schema import article_from_stored, text_from_stored
from .suggest import suggest, suggestion_threshold
from .timeline import Periods, timeline_of
from .vocabulary import Vocabulary



class SearchIndex:
    """Open once, use from any thread; a new generation or update is picked up by itself."""

    def __init__(self, index_dir: str | os.PathLike, weights: Weights = DEFAULT_WEIGHTS):
        self.index_dir = Path(index_dir)
        self.weights = weights  # of the evidence ranked by (bench/tune_relevance.py passes others)
        self._lock = threading.Lock()  # held by the one request that loads a new snapshot
        self._current: Snapshot | None = None
        self._damage: tuple[Path, IndexDamaged] | None = None  # a newer generation that failed to open
        self._heavy = threading.BoundedSemaphore(HEAVY_AT_ONCE)  # turns for heavy queries (query/limits.py)
        self._light = 0  # light searches under way: a heavy one lets them go first
        self._light_done = threading.Condition()
        self._snapshot()  # fail early when there is no index

    def _snapshot(self) -> Snapshot:
        """The snapshot of the current generation and version; a new one is opened beside the one
        in use and swapped in when ready. One request at a time loads it; the others keep
        answering from the snapshot in use meanwhile (they wait only when there is none yet)."""
        generation = current_generation(self.index_dir)
        current = self._current
        if current is not None and current.is_current(generation):
            return current
        if current is not None and self._damage is not None and self._damage[0] == generation:
            return current  # tried already: keep answering from the last good generation
        if not self._lock.acquire(blocking=current is None):
            return current  # another request is loading the new snapshot
        try:
            held = self._current
            if held is not None and held.is_current(generation):
                return held
            if held is not None and self._damage is not None and self._damage[0] == generation:
                return held
            try:
                fresh = Snapshot.open(self.index_dir, self.weights)
            except IndexDamaged as error:
                if held is None or held.generation == generation:
                    raise  # nothing good to fall back on (an update damaged the one we had)
                self._damage = (generation, error)
                return held
            self._damage = None
            self._current = fresh
            return fresh
        finally:
            self._lock.release()

    def health(self) -> dict:
        """A real query on the current generation: its first article found by its title.
        IndexDamaged, saying what is wrong, when it cannot be answered (or is answered wrong)."""
        view = self._snapshot()
        damage = self._damage
        if damage is not None and damage[0] == current_generation(self.index_dir):
            raise damage[1]
        live = np.flatnonzero(view.columns.live)
        if not len(live):
            return {"articles": 0, "generation": view.generation.name}
        stored = view.store.stored(int(live[0]))
        words = re.findall(r"\w+", stored.get("title") or text_from_stored(stored["text"]))[:6]
        query = '"' + " ".join(words) + '"'
        found = self.search(SearchRequest(q=query, size=50)) if words else None
        if found is not None and found.total <= 50 and stored["id"] not in {hit.id for hit in found.hits}:
            raise IndexDamaged(f"Chỉ mục hỏng: {view.generation.name} (truy vấn kiểm tra {query} không tìm thấy "
                               f"bài {stored['id']}); hãy chạy: python manage.py rebuild")
        return {"articles": int(view.columns.live.sum()), "generation": view.generation.name}

    # ---- public API -------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load what the first search would: the column arrays, the vocabulary, pyvi's model."""
        self._snapshot()
        syllables("khởi động")

    def count(self) -> int:
        view = self._snapshot()
        return int(view.columns.live.sum())

    def get(self, article_id: str) -> Article:
        stored = self._snapshot().store.by_id(article_id)
        if stored is None:
            raise ArticleNotFound(f"Không tìm thấy bài viết: {shown(article_id)}")
        return article_from_stored(stored)

    def related(self, article_id: str, size: int = RELATED_SIZE) -> RelatedResult:
        """The `size` articles most like this one, its copies excluded (search/related.py);
        ArticleNotFound for an unknown id."""
        started = time.perf_counter()
        view = self._snapshot()
        docnum = view.store.docnum_of(article_id)
        if docnum is None:
            raise ArticleNotFound(f"Không tìm thấy bài viết: {shown(article_id)}")
        hits = [hit_of(article_from_stored(view.store.stored(d)), score, set())
                for d, score in related(view, docnum, size)]
        return RelatedResult(article_id, hits, round((time.perf_counter() - started) * 1000, 2))

    def _select(self, request: SearchRequest, notices: list[str] | None = None,
                deadline: Deadline | None = None, turn: ExitStack | None = None) -> "_Selection":
        """Parse, filter and match: the documents a request selects, before paging. Marks are
        meant as typed and every word is required; when that finds nothing, the query is run
        again with marks ignored, then with any word (as typed, then marks ignored), and the
        first reading that finds something is the one shown, with notices saying so. Past the
        `deadline`, no further reading is tried. A heavy query waits for its `turn` (held until
        the caller closes it), so that heavy queries do not crowd out light ones."""
        deadline = deadline or Deadline()
        view = self._snapshot()
        ignore = request.accents == "ignore"
        heavy = turn is not None and looks_heavy(request.q)
        if heavy:
            turn.enter_context(self._heavy)
        parsed = parse(request.q, view.vocabulary, ignore_accents=ignore)
        if turn is not None and not heavy:
            heavy = is_heavy(parsed)
            turn.enter_context(self._heavy if heavy else self._light_search())
        if heavy:
            deadline.courtesy = self._let_light_go_first
        columns = view.columns
        query_masks = facets.query_masks(parsed, columns)
        date_mask = facets.date_mask(columns, request.date_from, request.date_to)
        if date_mask is not None:
            query_masks.append(date_mask)
        group_notice = None
        if request.group is not None:
            member = view.store.docnum_of(request.group)
            if member is None:
                query_masks.append(np.zeros(columns.size, dtype=bool))
                group_notice = f"Không có bài viết «{shown(request.group)}» nên không có nhóm bản đăng lại nào để hiện."
            else:
                query_masks.append(view.copies.group_mask(member))
        own_masks = {name: facets.facet_mask(columns, name, values)
                     for name, values in request.filters.items() if values}
        filters = query_masks + list(own_masks.values())
        folded = None
        chosen = None
        for reading, mode in readings(parsed, view.vocabulary, ignore):
            if reading is not parsed:
                folded = reading
            memo: dict = {}  # phrases checked while matching, reused while scoring
            matched = self._matched(view, reading, mode, memo, deadline)
            allowed = combine(matched, filters)
            if chosen is None or allowed.any():
                chosen = (reading, mode, matched, allowed, memo)
            if allowed.any() or deadline.expired():
                break
        reading, mode, matched, allowed, memo = chosen
        notices = list(notices or []) + parsed.notices + facets.unknown_values(columns, request.filters, parsed)
        if group_notice:
            notices.append(group_notice)
        accents = "ignored" if ignore or reading is folded else "exact"
        if ignore:
            notices.append("Đang tìm không phân biệt dấu.")
        elif reading is folded:
            notices.append("Không có kết quả đúng dấu như đã gõ; đang hiện kết quả không phân biệt dấu.")
        if mode != matching_mode(reading):
            notices.append(self._why_any(view, reading, filters, deadline))
        sort = request.sort if not (parsed.is_empty and request.sort == "relevance") else "newest"
        return _Selection(view, reading, mode, sort, matched, query_masks, own_masks, allowed, memo,
                          accents, notices, parsed, deadline)

    @contextmanager
    def _light_search(self):
        with self._light_done:
            self._light += 1
        try:
            yield
        finally:
            with self._light_done:
                self._light -= 1
                self._light_done.notify_all()

    def _let_light_go_first(self) -> None:
        """Called by a heavy query between query nodes: wait (a little) while light ones run."""
        with self._light_done:
            if self._light:
                self._light_done.wait_for(lambda: not self._light, timeout=COURTESY_SECONDS)

    def _why_any(self, view: Snapshot, parsed: ParsedQuery, filters: list[np.ndarray], deadline: Deadline) -> str:
        """The any-word notice, with its reason: a word no article holds, or no article holding all
        (past the deadline, the words are not checked one by one)."""
        missing = []
        for unit in parsed.units if not deadline.past else []:
            one = ParsedQuery(text=parsed.text, units=[unit])
            if not combine(self._matched(view, one, "all"), filters).any():
                missing.append(f"«{_typed(unit)}»")
        if missing:
            return (f"Không có bài nào chứa {', '.join(missing)}; đang hiện các bài chứa một số từ.")
        words = ", ".join(f"«{_typed(u)}»" for u in parsed.units)
        return f"Không có bài nào chứa đủ tất cả các từ {words}; đang hiện các bài chứa một số từ."

    def search(self, request: SearchRequest, deadline: Deadline | None = None) -> SearchResult:
        """One page of results. `deadline`: the time budget (query/limits.py), a new one by default."""
        started = time.perf_counter()
        request, notices = shortened(request)
        validate(request)
        with ExitStack() as turn:
            return self._search(request, notices, deadline, turn, started)

    def _search(self, request: SearchRequest, notices: list[str], deadline: Deadline | None,
                turn: ExitStack, started: float) -> SearchResult:
        sel = self._select(request, notices, deadline, turn)
        columns, parsed = sel.view.columns, sel.parsed
        articles = int(sel.allowed.sum())
        collapse = _collapses(request)
        total = sel.view.copies.count(sel.allowed) if collapse and sel.view.copies.any else articles

        counted = {}
        for name in FACET_FIELDS:
            others = [m for n, m in sel.own_masks.items() if n != name]
            base = combine(sel.matched, sel.query_masks + others)
            counted[name] = facets.facet_values(columns, name, base, request.filters.get(name, []))

        suggestion = None
        at_least = None if sel.deadline.past else suggestion_threshold(
            articles, sel.mode, parsed, sel.typed, sel.view.vocabulary)
        if at_least is not None:
            suggestion = self._suggestion(request.q, sel.view,
                                          sel.query_masks + list(sel.own_masks.values()), at_least)

        docnums, scores = self._page(sel, request.page, request.size, collapse)
        forms = parsed.match_forms()
        ids: dict[int, str] = {}
        copies = sel.view.copies.copies_in(docnums, sel.allowed)
        hits = []
        for d, s, n in zip(docnums, scores, copies):
            article = article_from_stored(sel.view.store.stored(d))
            ids[d] = article.id
            hits.append(hit_of(article, s, forms, self._group_id(sel.view, d, ids), n))
        return SearchResult(
            query=request.q, total=total, page=request.page, size=request.size,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            sort=sel.sort, matching=sel.mode, filters=facets.public_filters(request.filters),
            hits=hits, facets=counted, suggestion=suggestion,
            date_from=request.date_from, date_to=request.date_to,
            accents=sel.accents, notices=sel.notices + _budget_notices(sel.deadline),
            query_filters=facets.query_filters(sel.typed),
            timeline=timeline_of(Periods.of(columns), sel.allowed),
            articles=articles, collapse=collapse, group=request.group,
        )

    @staticmethod
    def _group_id(view: Snapshot, docnum: int, ids: dict[int, str]) -> str:
        """The id of a document's group of copies: its representative's article id (`ids` caches them)."""
        representative = view.store.group_of(docnum)
        if representative not in ids:
            ids[representative] = view.store.stored(representative)["id"]
        return ids[representative]

    def export(self, request: SearchRequest, deadline: Deadline | None = None) -> Iterator[Article]:
        """Every result of the query (not one page), in the requested order. The request is
        checked and the results chosen now; the articles are read as the iterator is consumed."""
        request, notices = shortened(request)
        validate(request, paging=False)
        with ExitStack() as turn:
            sel = self._select(request, notices, deadline, turn)
            docnums, _ = self._page(sel, 1, max(int(sel.allowed.sum()), 1))
        return (article_from_stored(sel.view.store.stored(d)) for d in docnums)

    def export_records(self, request: SearchRequest, deadline: Deadline | None = None) -> Iterator[dict]:
        """Every result of the query as the export writes it (search/export.py): each article's
        fields with its group of republished copies and how many articles that group has among the
        results. Never collapsed: an export lists every copy."""
        request, notices = shortened(request)
        validate(request, paging=False)
        with ExitStack() as turn:
            sel = self._select(request, notices, deadline, turn)
            docnums, _ = self._page(sel, 1, max(int(sel.allowed.sum()), 1))
        return self._records(sel, docnums)

    def _records(self, sel: "_Selection", docnums: list[int]) -> Iterator[dict]:
        ids: dict[int, str] = {}
        counts = np.bincount(sel.view.copies.groups[sel.allowed], minlength=sel.view.columns.size)
        for d in docnums:
            article = article_from_stored(sel.view.store.stored(d))
            ids[d] = article.id
            yield {**article.to_dict(), "group": self._group_id(sel.view, d, ids),
                   "copies": int(counts[sel.view.copies.groups[d]])}

    def highlight_article(self, article: Article, q: str, ignore_accents: bool = False) -> tuple[str, str]:
        """(title_html, text_html) with the query's syllables marked (every form of each, with
        `ignore_accents`)."""
        forms = parse(q[:MAX_QUERY_LENGTH], ignore_accents=ignore_accents).match_forms() if q else set()
        return highlight.mark(article.title, forms), highlight.mark(article.text, forms)

    def stats(self) -> dict:
        return index_stats(self._snapshot())

    def _suggestion(self, q: str, view: Snapshot, masks: list[np.ndarray], at_least: int) -> str | None:
        """A corrected query that finds at least `at_least` articles with every word."""
        corrected = suggest(q, view.vocabulary)
        if not corrected or corrected == q:
            return None
        parsed = parse(corrected, view.vocabulary)
        found = combine(self._matched(view, parsed, "all"), masks).sum()
        return corrected if found >= at_least else None

    def _matched(self, view: Snapshot, parsed: ParsedQuery, mode: str, memo: dict | None = None,
                 deadline: Deadline | None = None) -> np.ndarray:
        if not parsed.units and not parsed.excluded:
            return view.columns.live.copy()
        return view.engine.matches(matching_tree(parsed, mode), memo, deadline) & view.columns.live

    def _page(self, sel: "_Selection", page: int, size: int, collapse: bool = False) -> tuple[list[int], list]:
        """Document numbers and scores of one page of the selection, in its sort order (each group
        of copies once with `collapse`)."""
        return page_of(sel.view, sel.parsed, sel.mode, sel.sort, sel.allowed, sel.memo, page, size, self.weights,
                       sel.deadline, collapse)

@dataclass
class _Selection:
    view: Snapshot
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
    deadline: Deadline  # the request's time budget


def _collapses(request: SearchRequest) -> bool:
    """Groups collapse unless asked not to; one group asked for (group=<id>) lists all its copies."""
    return request.collapse and request.group is None


def _budget_notices(deadline: Deadline) -> list[str]:
    return [deadline.notice] if deadline.notice else []


def _typed(unit) -> str:
    return " ".join(unit.syllables)

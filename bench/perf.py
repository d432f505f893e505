"""Performance benchmark: rebuild, update, search and web serving of vnsearch, with
baselines (plain Whoosh, SQLite FTS5, tantivy) measured in the same run on the same
articles and queries.

    .venv/bin/python bench/perf.py [--sizes 10000,all] [--quick] [--profile] [--report-only]

Sizes are article counts drawn in proportion from the news corpora (vntc_news,
baomoi_news, unc_dantri_news, news24h_sample) with a fixed seed, or `all`. Each size
is written as jsonl.gz shards of 1000 articles under bench/work/perf/corpus-<label>/;
every engine indexes those shards. Our engine is driven only through its public API
and CLI (`manage.py rebuild|update|serve`, `search.open_index`), so a rerun measures
whatever the library is now.

Results go to bench/work/perf/results-<label>.json after every step (a long run that
stops still leaves figures), then bench/RESULTS_perf.md and bench/perf.png are
written from every results file present. --quick (600 articles, 50 queries, 5 s of
web load) writes its report under bench/work/perf-quick/ instead.

--opensearch start (a node of the repository's Maven module, started by
tests/opensearch_cluster.py; or --opensearch URL of a running cluster) adds the
OpenSearch backend: `manage.py rebuild --opensearch URL --procs N` (bulk indexing,
our analysis included) and the same queries through `open_index(opensearch=URL)`,
measured beside our embedded engine in one step (engines taking turns).
--opensearch-only runs only that step over a size's saved results (its corpus and
our `--procs 1` index are reused; both are rebuilt when missing).

The query set is generated once from the 10k sample (frequent title words and
bigrams, accentless forms, quoted phrases, OR, province and year filters that exist
in our index, sort by date, browsing) with a fixed seed, saved to bench/queries.json
and reused on later runs (--regen-queries to draw it again).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import unicodedata
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from common import (  # noqa: E402
    CORPORA, MB, MIB, REPO, WORK, RssSampler, article_bytes, dir_size, free_port, git_head, iter_source,
    latency_summary, load_news, log, machine, one_line, package_versions, percentile, proportional_sample,
    run_measured, shard_corpus, stop_server,
)

PYTHON = sys.executable
MANAGE = REPO / "manage.py"
QUERIES_FILE = REPO / "bench" / "queries.json"
RESULTS_MD = REPO / "bench" / "RESULTS_perf.md"
RESULTS_OPENSEARCH_MD = REPO / "bench" / "RESULTS_opensearch.md"  # --opensearch-only
PLOT = REPO / "bench" / "perf.png"
SEED = 7
QUERY_SEED = 20240607
QUERY_SAMPLE = 10_000  # the query set is drawn from this sample, so it fits every size ≥ 10k
FACET_NAMES = ("province", "province_2025", "year", "category", "source")
SERVE_RSS_GUARD = 6 * 1024 ** 3  # the web run stops the server past this (a shared machine)

# How many queries of each kind the full set has; the quick set takes them round-robin.
QUERY_MIX = (
    ("keyword", 50),        # one word (a compound counts as one)
    ("two_words", 40),      # an adjacent pair of title words
    ("sentence", 20),       # 4+ words: any word may match
    ("accentless", 40),     # keyword / two words without diacritics
    ("phrase", 30),         # "quoted phrase" of 2-3 syllables
    ("or", 10),             # a OR b
    ("province", 20),       # keyword + province filter
    ("year", 15),           # keyword + year filter
    ("newest", 20),         # keyword(s) sorted by date
    ("browse", 10),         # empty query + a filter, newest first
)

TARGETS = {
    "rebuild_vs_whoosh": 0.4,      # our rebuild articles/s ≥ 0.4 × plain Whoosh StandardAnalyzer
    "p95_ms": {"10k": 50.0, "all": 100.0},
    "p50_vs_fts5": 5.0,            # our p50 ≤ 5 × SQLite FTS5 (with snippet) p50
    "update_share": 0.01,          # adding 100 articles < 1 % of a full rebuild (issue 19)
    "noop_update_s": 1.0,          # update with nothing changed ≤ 1 s
    "ready_s": 2.0,                # server ready (first 200 on /healthz) ≤ 2 s
    "workers_rps": 1.8,            # web requests/s with one worker per core ≥ 1.8 × one worker
    "http_p50_vs_fts5": 3.0,       # our p50 over HTTP ≤ 3 × FTS5's in-process (issue 19: the fixed cost)
    "serve_rss_bytes": 1024 ** 3,  # serving the full corpus < 1 GiB
}


# ================================================================ baseline engines (child builds)

def _record_meta(record: dict, meta: dict) -> dict:
    """The filterable fields of an article: those our ingest stored when known (so filters
    select the same articles), else the record's own."""
    known = meta.get(str(record.get("id")))
    if known:
        return known
    published = record.get("date") or record.get("published") or None
    return {"published": published, "year": int(published[:4]) if published else None, "province": None,
            "province_2025": None, "category": record.get("category"), "source": record.get("source")}


def _load_meta(path: Path | None) -> dict:
    if path is None or not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _nfc(text) -> str:
    return unicodedata.normalize("NFC", text or "")


def _pyvi_analyzer():
    from whoosh.analysis import LowercaseFilter

    return PyviTokenize() | LowercaseFilter()


try:
    from whoosh.analysis import RegexTokenizer as _RegexTokenizer

    class PyviTokenize(_RegexTokenizer):
        """pyvi ViTokenizer.tokenize, then runs of word characters ("thông_tin" is one token)."""

        def __init__(self):
            super().__init__(r"\w+")

        def __call__(self, value, **kwargs):
            from pyvi.ViTokenizer import ViTokenizer

            return super().__call__(ViTokenizer.tokenize(value), **kwargs)
except ImportError:  # whoosh is only needed by the builds and searches that use it
    PyviTokenize = None


def whoosh_schema(kind: str):
    from whoosh.analysis import StandardAnalyzer
    from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

    # English stop words make no sense for Vietnamese syllables ("an", "to", "be" are words).
    analyzer = StandardAnalyzer(stoplist=None) if kind == "standard" else _pyvi_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True),
        text=TEXT(analyzer=analyzer, stored=True, phrase=True),
        published=ID(stored=True, sortable=True),
        year=ID(stored=True),
        province=ID(stored=True),
        category=ID(stored=True),
        source=ID(stored=True),
    )


def build_whoosh(source: Path, out: Path, procs: int, kind: str, meta: dict) -> int:
    from whoosh import index as whoosh_index

    out.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(out, whoosh_schema(kind))
    writer = ix.writer(limitmb=256, procs=max(1, procs), multisegment=procs > 1)
    count = 0
    for record in iter_source(source):
        m = _record_meta(record, meta)
        writer.add_document(
            id=str(record["id"]), title=_nfc(record.get("title")), text=_nfc(record.get("text")),
            published=m["published"] or "", year=str(m["year"] or ""), province=m["province"] or "",
            category=m["category"] or "", source=m["source"] or "")
        count += 1
    writer.commit()
    return count


FTS5_COLUMNS = ("doc_id", "title", "text", "published", "year", "province", "category", "source")


def build_fts5(source: Path, out: Path, meta: dict) -> int:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "fts5.db"
    if path.exists():
        path.unlink()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(doc_id UNINDEXED, title, text, published UNINDEXED, "
        "year UNINDEXED, province UNINDEXED, category UNINDEXED, source UNINDEXED, "
        "tokenize = 'unicode61 remove_diacritics 2')")
    count = 0
    batch = []
    for record in iter_source(source):
        m = _record_meta(record, meta)
        batch.append((str(record["id"]), _nfc(record.get("title")), _nfc(record.get("text")), m["published"],
                      m["year"], m["province"], m["category"], m["source"]))
        if len(batch) >= 1000:
            db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?)", batch)
            count += len(batch)
            batch.clear()
    db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?)", batch)
    count += len(batch)
    db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.commit()
    db.close()
    return count


def tantivy_schema():
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="vn")
    builder.add_text_field("text", stored=True, tokenizer_name="vn")
    builder.add_text_field("published", stored=True, fast=True, tokenizer_name="raw")
    builder.add_integer_field("year", stored=True, indexed=True, fast=True)
    for name in ("province", "category", "source"):
        builder.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    return builder.build()


def tantivy_analyzer():
    """Lower case and ASCII folding (đ → d, tones dropped): accent-insensitive only."""
    import tantivy

    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold()).build())


def open_tantivy(path: Path, create: bool = False):
    import tantivy

    index = tantivy.Index(tantivy_schema(), path=str(path), reuse=not create)
    index.register_tokenizer("vn", tantivy_analyzer())
    return index


def build_tantivy(source: Path, out: Path, procs: int, meta: dict) -> int:
    import tantivy

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    index = open_tantivy(out, create=True)
    writer = index.writer(heap_size=256 * 1024 * 1024, num_threads=max(1, procs))
    count = 0
    for record in iter_source(source):
        m = _record_meta(record, meta)
        doc = tantivy.Document()
        doc.add_text("doc_id", str(record["id"]))
        doc.add_text("title", _nfc(record.get("title")))
        doc.add_text("text", _nfc(record.get("text")))
        doc.add_text("published", m["published"] or "")
        if m["year"]:
            doc.add_integer("year", int(m["year"]))
        for name in ("province", "category", "source"):
            if m[name]:
                doc.add_text(name, m[name])
        writer.add_document(doc)
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


def child_build(args) -> int:
    """`perf.py _build ENGINE`: one baseline build in its own process, for its time and RSS."""
    meta = _load_meta(args.meta)
    started = time.perf_counter()
    if args.engine == "whoosh-standard":
        count = build_whoosh(args.source, args.out, args.procs, "standard", meta)
    elif args.engine == "whoosh-pyvi":
        count = build_whoosh(args.source, args.out, args.procs, "pyvi", meta)
    elif args.engine == "fts5":
        count = build_fts5(args.source, args.out, meta)
    elif args.engine == "tantivy":
        count = build_tantivy(args.source, args.out, args.procs, meta)
    else:
        raise SystemExit(f"unknown engine {args.engine}")
    print(json.dumps({"indexed": count, "seconds": time.perf_counter() - started}))
    return 0


# ================================================================ search engines (in-process)

class OursEngine:
    name = "vnsearch"

    def __init__(self, index_dir: Path):
        from search import open_index

        self.index = open_index(index_dir)

    def search(self, query: dict) -> int:
        from search.requests import SearchRequest

        result = self.index.search(SearchRequest(q=query["q"], filters=query["filters"], sort=query["sort"]))
        assert all(hit.snippet_html is not None for hit in result.hits)
        return result.total


class OpenSearchEngine:
    """The OpenSearch backend through the same API (`open_index(opensearch=URL)`)."""

    name = "opensearch"

    def __init__(self, url: str):
        from search import open_index

        self.index = open_index(opensearch=url)

    def search(self, query: dict) -> int:
        from search.requests import SearchRequest

        result = self.index.search(SearchRequest(q=query["q"], filters=query["filters"], sort=query["sort"]))
        assert all(hit.snippet_html is not None for hit in result.hits)
        return result.total


class WhooshStandardEngine:
    """Plain Whoosh: StandardAnalyzer, BM25F, title ×2; AND of word groups (OR from 4),
    Whoosh's own highlighter for snippets; no facets."""

    name = "whoosh-standard"

    def __init__(self, index_dir: Path):
        from whoosh import index as whoosh_index

        self.ix = whoosh_index.open_dir(index_dir)
        self.searcher = self.ix.searcher()

    def _group(self, fieldname: str, group: list[str], boost: float = 1.0):
        from whoosh import query as wq

        if len(group) == 1:
            return wq.Term(fieldname, group[0], boost=boost)
        return wq.Phrase(fieldname, group, boost=boost)

    def search(self, query: dict) -> int:
        from whoosh import query as wq

        groups = [[s.lower() for s in g] for g in query["groups"]]
        clauses = [wq.Or([self._group("title", g, 2.0), self._group("text", g)]) for g in groups]
        if not clauses:
            text_query = wq.Every()
        elif len(clauses) == 1:
            text_query = clauses[0]
        else:
            text_query = wq.And(clauses) if query["op"] == "and" else wq.Or(clauses)
        filters = [wq.Or([wq.Term(name, str(v)) for v in values]) for name, values in query["filters"].items()]
        kwargs = {"limit": 10, "filter": wq.And(filters) if filters else None}
        if query["sort"] == "newest" or not clauses:
            kwargs.update(sortedby="published", reverse=True)
        results = self.searcher.search(text_query, **kwargs)
        results.fragmenter.charlimit = None
        for hit in results:
            hit.highlights("text", top=3)
        return len(results)


class Fts5Engine:
    """SQLite FTS5 (unicode61 remove_diacritics 2): bm25 with title ×2, top 10 with
    snippet(), exact total; `facets=True` adds GROUP BY counts of the filter columns."""

    name = "fts5"

    def __init__(self, index_dir: Path, facets: bool = False):
        self.db = sqlite3.connect(index_dir / "fts5.db", check_same_thread=False)
        self.facets = facets
        if facets:
            self.name = "fts5+facets"

    @staticmethod
    def match_expression(query: dict) -> str | None:
        groups = [" ".join(g) for g in query["groups"]]
        if not groups:
            return None
        quoted = ['"' + g.replace('"', '""') + '"' for g in groups]
        return (" AND " if query["op"] == "and" else " OR ").join(quoted)

    def search(self, query: dict) -> int:
        match = self.match_expression(query)
        where, params = [], []
        if match:
            where.append("docs MATCH ?")
            params.append(match)
        for name, values in query["filters"].items():
            where.append(f"{name} IN ({','.join('?' * len(values))})")
            params.extend(int(v) if name == "year" else v for v in values)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        if match and query["sort"] != "newest":
            order = "ORDER BY bm25(docs, 0, 2.0, 1.0) "
            snippet = "snippet(docs, 2, '<mark>', '</mark>', '…', 24)"
        else:
            order = "ORDER BY published DESC "
            snippet = "snippet(docs, 2, '<mark>', '</mark>', '…', 24)" if match else "substr(text, 1, 200)"
        rows = self.db.execute(f"SELECT doc_id, title, {snippet} FROM docs {clause} {order} LIMIT 10",
                               params).fetchall()
        total = self.db.execute(f"SELECT count(*) FROM docs {clause}", params).fetchone()[0]
        if self.facets:
            for name in ("province", "year", "category", "source"):
                self.db.execute(f"SELECT {name}, count(*) FROM docs {clause} GROUP BY {name}", params).fetchall()
        assert len(rows) <= 10
        return total


class TantivyEngine:
    """tantivy (Rust): simple tokenizer + lower case + ASCII folding, BM25 with title ×2,
    top 10 with SnippetGenerator HTML, exact count; no facets."""

    name = "tantivy"

    def __init__(self, index_dir: Path):
        self.index = open_tantivy(index_dir)
        self.index.reload()
        self.searcher = self.index.searcher()
        self.schema = self.index.schema

    def query_string(self, query: dict) -> str:
        prefix = "+" if query["op"] == "and" else ""
        parts = [prefix + '"' + " ".join(g).replace('"', "") + '"' for g in query["groups"]]
        if len(query["groups"]) > 0 and query["op"] != "and":
            parts = ["+(" + " ".join(parts) + ")"]
        for name, values in query["filters"].items():
            if name == "year":
                options = [f"year:{int(v)}" for v in values]
            else:
                options = [f'{name}:"{v}"' for v in values]
            parts.append("+(" + " ".join(options) + ")")
        return " ".join(parts)

    def search(self, query: dict) -> int:
        import tantivy

        text = self.query_string(query)
        parsed = (self.index.parse_query(text, ["title", "text"], field_boosts={"title": 2.0})
                  if text else tantivy.Query.all_query())
        if query["sort"] == "newest" or not query["groups"]:
            result = self.searcher.search(parsed, 10, count=True, order_by_field="published")
        else:
            result = self.searcher.search(parsed, 10, count=True)
        if query["groups"]:
            generator = tantivy.SnippetGenerator.create(self.searcher, parsed, self.schema, "text")
            generator.set_max_num_chars(200)
            for _, address in result.hits:
                generator.snippet_from_doc(self.searcher.doc(address)).to_html()
        else:
            for _, address in result.hits:
                self.searcher.doc(address)
        return result.count


# ================================================================ query set

_SYLLABLE = re.compile(r"^[^\W\d_]+$")


def _title_words(titles: Sequence[str]) -> list[list[list[str]]]:
    """Each title as pyvi words, each word as normalised syllables (our own segmentation)."""
    from search.analysis import syllables, word_groups
    from search.text import normalize

    out = []
    for title in titles:
        words = [[normalize(s.text) for s in group] for group in word_groups(syllables(title))]
        out.append(words)
    return out


def _is_word(word: list[str]) -> bool:
    return all(_SYLLABLE.match(s) and len(s) >= 2 for s in word) and len(word) <= 3


def generate_queries(titles: Sequence[str], facet_values: dict[str, list[str]], seed: int = QUERY_SEED,
                     mix: Sequence[tuple[str, int]] = QUERY_MIX, segmented: list | None = None) -> list[dict]:
    """A fixed, mixed query set drawn from article titles: the same titles, facet values and
    seed give the same queries. `facet_values` lists existing province and year values (most
    frequent first). Every query carries its word groups, used by the baselines."""
    from search.text import fold_accents

    rng = random.Random(seed)
    titles_words = segmented if segmented is not None else _title_words(titles)
    document_frequency: Counter = Counter()
    pair_frequency: Counter = Counter()
    for words in titles_words:
        keys = [" ".join(w) for w in words]
        document_frequency.update(set(k for k, w in zip(keys, words) if _is_word(w)))
        for (a, wa), (b, wb) in zip(zip(keys, words), list(zip(keys, words))[1:]):
            if _is_word(wa) and _is_word(wb) and a != b:
                pair_frequency[(a, b)] += 1
    ranked = sorted(document_frequency.items(), key=lambda kv: (-kv[1], kv[0]))
    # The most frequent title words are function words ("của", "và", "với"): leave them out.
    ranked = [k for k, n in ranked[40:] if n >= 3]
    common, rare = ranked[:400], ranked[400:] or ranked[:400]
    pairs = sorted((p for p, n in pair_frequency.items() if n >= 2 and p[0] in document_frequency),
                   key=lambda p: (-pair_frequency[p], p))[:2000]
    if not ranked or not pairs:
        raise ValueError("not enough titles to draw queries from")

    def keyword() -> str:
        return rng.choice(common if rng.random() < 0.6 else rare)

    def two_words() -> str:
        return " ".join(rng.choice(pairs))

    def query(kind: str, q: str, groups, filters=None, sort="relevance", op=None) -> dict:
        return {"kind": kind, "q": q, "groups": groups, "op": op or ("and" if len(groups) <= 3 else "or"),
                "filters": filters or {}, "sort": sort}

    provinces = facet_values.get("province") or []
    years = facet_values.get("year") or []
    by_kind: dict[str, list[dict]] = {}
    for kind, count in mix:
        made: list[dict] = []
        seen: set = set()
        attempts = 0
        while len(made) < count and attempts < count * 50:
            attempts += 1
            if kind == "keyword":
                q = keyword()
                item = query(kind, q, [q.split()])
            elif kind == "two_words":
                a, b = rng.choice(pairs)
                item = query(kind, f"{a} {b}", [a.split(), b.split()])
            elif kind == "sentence":
                words = [w for w in rng.choice(titles_words) if _is_word(w)]
                if len(words) < 4:
                    continue
                start = rng.randrange(0, len(words) - 3)
                chosen = words[start:start + rng.randint(4, 6)]
                item = query(kind, " ".join(" ".join(w) for w in chosen), chosen)
            elif kind == "accentless":
                if rng.random() < 0.5:
                    q = keyword()
                    groups = [q.split()]
                else:
                    a, b = rng.choice(pairs)
                    q, groups = f"{a} {b}", [a.split(), b.split()]
                folded = [[fold_accents(s) for s in g] for g in groups]
                if folded == groups:
                    continue
                item = query(kind, " ".join(" ".join(g) for g in folded), folded)
            elif kind == "phrase":
                words = rng.choice(titles_words)
                flat = [s for w in words for s in w]
                if len(flat) < 3:
                    continue
                length = rng.choice((2, 3))
                start = rng.randrange(0, len(flat) - length + 1)
                span = flat[start:start + length]
                if not all(_SYLLABLE.match(s) for s in span):
                    continue
                item = query(kind, '"' + " ".join(span) + '"', [span])
            elif kind == "or":
                a, b = keyword(), keyword()
                if a == b:
                    continue
                item = query(kind, f"{a} OR {b}", [a.split(), b.split()], op="or")
            elif kind == "province":
                if not provinces:
                    break
                q = keyword()
                item = query(kind, q, [q.split()], {"province": [provinces[len(made) % len(provinces)]]})
            elif kind == "year":
                if not years:
                    break
                q = keyword()
                item = query(kind, q, [q.split()], {"year": [str(years[len(made) % len(years)])]})
            elif kind == "newest":
                if rng.random() < 0.5:
                    q = keyword()
                    item = query(kind, q, [q.split()], sort="newest")
                else:
                    a, b = rng.choice(pairs)
                    item = query(kind, f"{a} {b}", [a.split(), b.split()], sort="newest")
            elif kind == "browse":
                if len(made) % 2 == 0 and provinces:
                    filters = {"province": [provinces[(len(made) // 2) % len(provinces)]]}
                elif years:
                    filters = {"year": [str(years[(len(made) // 2) % len(years)])]}
                else:
                    break
                item = query(kind, "", [], filters, sort="newest")
            else:
                raise ValueError(f"unknown query kind {kind}")
            key = (item["q"], json.dumps(item["filters"], sort_keys=True), item["sort"])
            if key in seen:
                continue
            seen.add(key)
            made.append(item)
        by_kind[kind] = made
    return interleave(by_kind)


def interleave(by_kind: dict[str, list[dict]]) -> list[dict]:
    """Round-robin over kinds, so any prefix of the set has every kind in it."""
    out = []
    longest = max((len(v) for v in by_kind.values()), default=0)
    for i in range(longest):
        for kind in by_kind:
            if i < len(by_kind[kind]):
                out.append(by_kind[kind][i])
    return out


def existing_facet_values(index_dir: Path) -> dict[str, list[str]]:
    """Province and year values of our index, most frequent first (from an empty query)."""
    from search import open_index
    from search.articles import UNKNOWN
    from search.requests import SearchRequest

    result = open_index(index_dir).search(SearchRequest(q="", size=1))
    out = {}
    for name in ("province", "year"):
        values = [v for v in result.facets.get(name, []) if v.value != UNKNOWN and v.count > 0]
        values.sort(key=lambda v: (-v.count, v.value))
        out[name] = [v.value for v in values[:20]]
    return out


def api_path(query: dict) -> str:
    params = [("q", query["q"])]
    for name, values in query["filters"].items():
        params.extend((name, str(v)) for v in values)
    if query["sort"] != "relevance":
        params.append(("sort", query["sort"]))
    return "/api/search?" + urllib.parse.urlencode(params)


# ================================================================ steps

class Run:
    """One size's measurements, saved to JSON after every step."""

    def __init__(self, label: str, work: Path, quick: bool):
        self.label = label
        self.work = work
        self.quick = quick
        self.path = work / f"results-{label}.json"
        self.data: dict = {"label": label, "quick": quick, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                           "machine": machine(), "git_head": git_head(),
                           "versions": package_versions(["whoosh3", "pyvi", "tantivy", "psutil", "matplotlib",
                                                         "pyinstrument", "waitress", "flask", "numpy"]),
                           "sqlite": sqlite3.sqlite_version}

    def save(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, self.path)


# ---------------------------------------------------------------- OpenSearch

OPENSEARCH_ALIAS = "vnsearch-bench"


class _OpenSearchTarget:
    """A running cluster: the URL given, or one node started from the repository's module."""

    def __init__(self, spec: str, heap: str, work: Path):
        self.cluster = None
        if spec == "start":
            sys.path.insert(0, str(REPO / "tests"))
            from opensearch_cluster import start_cluster

            shutil.rmtree(work / "opensearch-node", ignore_errors=True)
            log(f"starting an OpenSearch node (heap {heap}) …")
            self.cluster = start_cluster(1, work / "opensearch-node", heap=heap)
            self.base = self.cluster.url
        else:
            self.base = spec.rstrip("/")
        self.url = f"{self.base}/{OPENSEARCH_ALIAS}"
        self.heap = heap if self.cluster else None

    def info(self) -> dict:
        with urllib.request.urlopen(self.base, timeout=30) as response:
            about = json.load(response)
        return {"version": about["version"]["number"], "lucene": about["version"]["lucene_version"],
                "nodes": 1 if self.cluster else None, "heap": self.heap, "started_here": self.cluster is not None}

    def jvm_rss(self) -> int | None:
        if self.cluster is None:
            return None
        import psutil

        return psutil.Process(self.cluster.nodes[0].process.pid).memory_info().rss

    def index_bytes(self) -> int | None:
        try:
            with urllib.request.urlopen(f"{self.base}/{OPENSEARCH_ALIAS}/_stats/store", timeout=30) as response:
                return json.load(response)["_all"]["primaries"]["store"]["size_in_bytes"]
        except (OSError, KeyError, ValueError):
            return None

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def _rebuild_opensearch(run: Run, corpus, procs: int, target: _OpenSearchTarget) -> dict:
    m, entry = _rebuild_cli(run, corpus, procs, "opensearch", ["--opensearch", target.url])
    if m.ok:
        entry["index_bytes"] = target.index_bytes()
        entry["jvm_rss"] = target.jvm_rss()
    return entry


def measure_opensearch(run: Run, corpus, ours_index: Path | None, queries: list[dict], args,
                       embedded: dict | None = None) -> dict:
    """OpenSearch rebuilds (--procs 1 and 2) and the query set on both backends, in one step.
    `embedded`: our rebuilds measured in the same run; without it they are measured here too,
    each beside OpenSearch's (the machine's load then hits both alike)."""
    step = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
            "rounds": args.rounds, "queries": len(queries), "command": args.command}
    run.data["opensearch"] = step
    target = _OpenSearchTarget(args.opensearch, args.opensearch_heap, run.work)
    try:
        step["node"] = target.info()
        builds = step["rebuild"] = {}
        for procs in (1, 2):
            if embedded is None:
                builds[f"vnsearch-p{procs}"] = _rebuild_ours(run, corpus, procs)
            builds[f"opensearch-p{procs}"] = _rebuild_opensearch(run, corpus, procs, target)
            run.save()
        if builds.get("vnsearch-p1", {}).get("ok"):
            ours_index = Path(builds["vnsearch-p1"]["index_dir"])
        if ours_index is not None and builds["opensearch-p2"]["ok"]:
            engines = [OursEngine(ours_index), OpenSearchEngine(target.url)]
            log(f"[{run.label}] search, embedded and opensearch: {len(queries)} queries × {args.rounds} rounds …")
            step["search"] = measure_search(engines, queries, args.rounds)
            step["jvm_rss_after_search"] = target.jvm_rss()
            del engines
            gc.collect()
    finally:
        target.stop()
    step["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    step["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    step["git_head"] = git_head()
    run.save()
    return step


def _rebuild_cli(run: Run, corpus, procs: int, name: str, target: list[str]):
    """`manage.py rebuild --source … TARGET --procs N`, measured: (the measure, its entry with the
    counts and the library's own seconds of the CLI's last line)."""
    command = [PYTHON, str(MANAGE), "rebuild", "--source", str(corpus.source), *target, "--procs", str(procs)]
    log(f"[{run.label}] {name} rebuild --procs {procs} …")
    m = run_measured(command, log=run.work / "logs" / f"{run.label}-{name}-p{procs}.log")
    entry = _build_entry(m, corpus)
    line = re.search(r"Đã đánh chỉ mục ([\d.]+) bài viết, bỏ qua ([\d.]+), trong ([\d.,]+) giây", m.stdout)
    if line:
        entry["indexed"] = int(line.group(1).replace(".", ""))
        entry["skipped"] = int(line.group(2).replace(".", ""))
        entry["library_seconds"] = float(line.group(3).replace(".", "").replace(",", "."))
    return m, entry


def _rebuild_ours(run: Run, corpus, procs: int) -> dict:
    index_dir = run.work / f"index-{run.label}" / f"ours-p{procs}"
    shutil.rmtree(index_dir, ignore_errors=True)
    m, entry = _rebuild_cli(run, corpus, procs, "ours", ["--index", str(index_dir)])
    if m.ok:
        entry["index_bytes"] = dir_size(index_dir / "current")
        entry["segments"] = _whoosh_segments(index_dir / "current")
    entry["index_dir"] = str(index_dir)
    return entry


def _whoosh_segments(path: Path) -> int | None:
    try:
        from whoosh import index as whoosh_index

        return len(whoosh_index.open_dir(path.resolve()).reader().leaf_readers()) or 1
    except Exception:  # only a detail of the report
        return None


def _build_entry(m, corpus) -> dict:
    entry = {"ok": m.ok, "seconds": round(m.seconds, 3), "peak_rss_tree": m.peak_rss_tree,
             "peak_rss_single": m.peak_rss_single, "articles": len(corpus.docs),
             "articles_per_s": round(len(corpus.docs) / m.seconds, 1),
             "mb_per_s": round(corpus.bytes / MB / m.seconds, 3)}
    if not m.ok:
        entry["error"] = one_line(m.stderr[-600:], 600)
    return entry


def _rebuild_baseline(run: Run, corpus, engine: str, procs: int, meta: Path | None) -> dict:
    out = run.work / f"index-{run.label}" / f"{engine}-p{procs}"
    shutil.rmtree(out, ignore_errors=True)
    command = [PYTHON, str(Path(__file__).resolve()), "_build", engine, "--source", str(corpus.source),
               "--out", str(out), "--procs", str(procs)]
    if meta is not None:
        command += ["--meta", str(meta)]
    log(f"[{run.label}] {engine} build procs={procs} …")
    m = run_measured(command, log=run.work / "logs" / f"{run.label}-{engine}-p{procs}.log")
    entry = _build_entry(m, corpus)
    if m.ok:
        entry["index_bytes"] = dir_size(out)
        try:
            entry["indexed"] = json.loads(m.stdout.strip().splitlines()[-1])["indexed"]
        except (ValueError, IndexError, KeyError):
            pass
    entry["index_dir"] = str(out)
    return entry


def dump_meta(index_dir: Path, out: Path) -> int:
    """id → the filterable fields our ingest found, for the baselines' filters."""
    from search.store.codec import open_whoosh

    _, ix = open_whoosh(index_dir)
    meta = {}
    with ix.searcher() as searcher:
        for stored in searcher.all_stored_fields():
            m = stored.get("meta") or {}
            meta[stored["id"]] = {"published": m.get("published"), "year": m.get("year"),
                                  "province": m.get("province"), "province_2025": m.get("province_2025"),
                                  "category": m.get("category"), "source": m.get("source")}
    out.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return len(meta)


def measure_pyvi_share(docs: Sequence[dict], sample_size: int, ours_p1_seconds: float | None) -> dict:
    """Time `syllables` with and without pyvi over a sample of the same articles (title and
    text, as the analyzer sees them); extrapolate pyvi's seconds to the whole corpus."""
    from search import analysis
    from search.analysis import syllables
    from search.text import to_nfc

    rng = random.Random(SEED)
    sample = docs if len(docs) <= sample_size else rng.sample(list(docs), sample_size)
    texts = [to_nfc(d.get(f) or "") for d in sample for f in ("title", "text")]
    syllables("khởi động")  # load the model outside the timing
    timings = {}
    for segment in (True, False, True, False):
        analysis._SEGMENTED.clear()  # every pass segments as a rebuild's one pass does
        started = time.perf_counter()
        for text in texts:
            syllables(text, segment_words=segment)
        timings.setdefault(segment, []).append(time.perf_counter() - started)
    with_pyvi, without = min(timings[True]), min(timings[False])
    sample_bytes = sum(article_bytes(d) for d in sample)
    corpus_bytes = sum(article_bytes(d) for d in docs)
    pyvi_seconds = (with_pyvi - without) * corpus_bytes / sample_bytes
    out = {"sample_articles": len(sample), "sample_mb": round(sample_bytes / MB, 3),
           "syllables_with_pyvi_s": round(with_pyvi, 3), "syllables_without_pyvi_s": round(without, 3),
           "pyvi_mb_per_s": round(sample_bytes / MB / (with_pyvi - without), 3) if with_pyvi > without else None,
           "estimated_pyvi_seconds": round(pyvi_seconds, 2)}
    if ours_p1_seconds:
        out["share_of_ours_p1_rebuild"] = round(pyvi_seconds / ours_p1_seconds, 3)
        out["syllables_share_of_ours_p1_rebuild"] = round(with_pyvi * corpus_bytes / sample_bytes / ours_p1_seconds, 3)
    return out


def measure_search(engines: list, queries: list[dict], rounds: int) -> dict:
    """Every query on every engine, warm: one untimed pass, then `rounds` timed passes in
    which engines take turns on each query (so machine noise hits all alike)."""
    out = {e.name: {"latencies": [], "totals": [], "errors": 0, "by_kind": {}} for e in engines}
    for engine in engines:
        for query in queries:
            try:
                engine.search(query)
            except Exception as error:  # a baseline that cannot express a query is noted, not fatal
                out[engine.name]["errors"] += 1
                out[engine.name].setdefault("first_error", f"{query['q']!r}: {one_line(repr(error))}")
    gc.collect()
    for round_number in range(rounds):
        for i, query in enumerate(queries):
            order = engines[(i + round_number) % len(engines):] + engines[:(i + round_number) % len(engines)]
            for engine in order:
                started = time.perf_counter()
                try:
                    total = engine.search(query)
                except Exception:
                    continue
                ms = (time.perf_counter() - started) * 1000
                slot = out[engine.name]
                slot["latencies"].append(ms)
                slot["by_kind"].setdefault(query["kind"], []).append(ms)
                if round_number == 0:
                    slot["totals"].append(total)
    summary = {}
    for name, slot in out.items():
        summary[name] = {
            **latency_summary(slot["latencies"]),
            "errors": slot["errors"],
            "mean_total": round(sum(slot["totals"]) / len(slot["totals"]), 1) if slot["totals"] else None,
            "zero_results": sum(1 for t in slot["totals"] if t == 0),
            "by_kind": {k: {"p50": round(percentile(v, 50), 3), "p95": round(percentile(v, 95), 3)}
                        for k, v in slot["by_kind"].items()},
        }
        if "first_error" in slot:
            summary[name]["first_error"] = slot["first_error"]
    return summary


def _workers(web: dict) -> str:
    """The workers column: how many, and whether serve pinned them to CPUs (as many as CPUs)."""
    workers = web.get("workers", "?")
    if web.get("pinned") is False:
        return f"{workers}, --no-cpu-affinity"
    return str(workers)


def _cores(web: dict) -> str:
    if "server_cores" not in web:
        return "–"
    return " + ".join(f"{c:.2f}" for c in web["server_cores"]) + f" / {web['client_cores']:.2f}"


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of a process and each of its descendants, by pid."""
    import psutil

    root = psutil.Process(pid)
    out = {}
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        out[proc.pid] = times.user + times.system
    return out


def tree_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) summed over a process and its descendants (gunicorn's master and its workers).
    RSS counts a page shared by N processes N times (the memory-mapped arrays, the page cache of
    the index); PSS counts 1/N of it in each."""
    import psutil

    root = psutil.Process(pid)
    rss = pss = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss, pss


def measure_web(run: Run, index_dir: Path, queries: list[dict], seconds: float, concurrency: int = 8,
                workers: int | None = None, pinned: bool = True) -> dict:
    """`serve` under load: its start-up (first 200 on /healthz), memory (RSS and PSS of all its
    processes) and throughput; `workers` None: serve's default (one per core); `pinned` False:
    `--no-cpu-affinity` (serve pins its workers to CPUs of their own when they are as many)."""
    from loadgen import run_load
    from vnsearch_cli.server import default_workers

    port = free_port()
    command = [PYTHON, str(MANAGE), "serve", "--host", "127.0.0.1", "--port", str(port), "--index", str(index_dir)]
    if workers is not None:
        command += ["--workers", str(workers)]
    if not pinned:
        command.append("--no-cpu-affinity")
    log_path = run.work / "logs" / f"{run.label}-serve{'' if workers is None else f'-w{workers}'}{'' if pinned else '-free'}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, "w") as server_log:
        server = subprocess.Popen(command, cwd=REPO, stdout=server_log, stderr=subprocess.STDOUT)
    out: dict = {"port": port, "concurrency": concurrency, "duration_s": seconds, "pinned": pinned,
                 "workers": workers if workers is not None else default_workers()}
    try:
        ready = _wait_ready(port, server, timeout=300)
        out["startup_s"] = round(time.perf_counter() - started, 2)
        if not ready:
            out["error"] = "server did not answer /healthz: " + one_line(log_path.read_text()[-400:], 400)
            return out
        out["rss_idle_bytes"], out["pss_idle_bytes"] = tree_memory(server.pid)
        paths = [api_path(q) for q in queries]
        # Every worker keeps its own posting cache: two passes per worker, a new connection for
        # each request so that every worker accepts some, before the load is timed.
        passes = 2 * out["workers"]
        warm = run_load("127.0.0.1", port, paths, concurrency=2 * out["workers"], seconds=60 * passes,
                        max_requests=passes * len(paths), fresh_connections=True)
        out["warmup_requests"] = warm["requests"]
        cpu_before, client_before = tree_cpu(server.pid), time.process_time()
        with RssSampler(server.pid, interval=0.25, limit=SERVE_RSS_GUARD, on_limit=server.kill) as sampler:
            result = run_load("127.0.0.1", port, paths, concurrency=concurrency, seconds=seconds)
        cpu_after, client_cpu = tree_cpu(server.pid), time.process_time() - client_before
        out.update(result)
        # Cores kept busy during the timed load: each server process's, and the load client's
        # (this process: its other threads are idle meanwhile).
        busy = sorted((cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after), reverse=True)
        out["server_cores"] = [round(b / result["seconds"], 2) for b in busy if b > 0.01 * result["seconds"]]
        out["client_cores"] = round(client_cpu / result["seconds"], 2)
        out["rss_peak_bytes"] = sampler.peak_tree
        if sampler.limit_hit:
            out["rss_guard_hit"] = True
            out["error"] = (f"serve RSS passed {SERVE_RSS_GUARD / 1024 ** 3:.0f} GiB after "
                            f"{sampler.limit_hit:.0f} s of load: the server was stopped to protect the machine")
            return out
        out["rss_end_bytes"], out["pss_end_bytes"] = tree_memory(server.pid)
    finally:
        stop_server(server, timeout=20)
    return out


def _wait_ready(port: int, server: subprocess.Popen, timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def measure_http_fixed_cost(run: Run, index_dir: Path, fts5_dir: Path, queries: list[dict], rounds: int) -> dict:
    """The fixed cost of a request (issue 19): every query once at a time over HTTP (`manage.py
    serve --workers 1`, one keep-alive connection, `/api/search` with facets and snippets, as the
    web asks) against SQLite FTS5 in-process with snippet(); one untimed pass of each, then
    `rounds` passes in which the two take turns query by query. The figure is the ratio of p50s."""
    import http.client

    port = free_port()
    command = [PYTHON, str(MANAGE), "serve", "--host", "127.0.0.1", "--port", str(port), "--index", str(index_dir),
               "--workers", "1"]
    log_path = run.work / "logs" / f"{run.label}-serve-http.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as server_log:
        server = subprocess.Popen(command, cwd=REPO, stdout=server_log, stderr=subprocess.STDOUT)
    out: dict = {"queries": len(queries), "rounds": rounds}
    try:
        if not _wait_ready(port, server, timeout=300):
            out["error"] = "server did not answer /healthz: " + one_line(log_path.read_text()[-400:], 400)
            return out
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        fts5 = Fts5Engine(fts5_dir)
        paths = [api_path(q) for q in queries]

        def over_http(path: str) -> None:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status} {body[:200]!r}")

        for path, query in zip(paths, queries):
            over_http(path)
            fts5.search(query)
        gc.collect()
        http_ms: list[float] = []
        fts5_ms: list[float] = []
        for round_number in range(rounds):
            for i, (path, query) in enumerate(zip(paths, queries)):
                steps = [(http_ms, lambda: over_http(path)), (fts5_ms, lambda: fts5.search(query))]
                for times, step in steps if (i + round_number) % 2 == 0 else steps[::-1]:
                    started = time.perf_counter()
                    step()
                    times.append((time.perf_counter() - started) * 1000)
        connection.close()
        out["http"] = latency_summary(http_ms)
        out["fts5"] = latency_summary(fts5_ms)
        out["ratio_p50"] = round(out["http"]["p50"] / out["fts5"]["p50"], 3)
    finally:
        stop_server(server, timeout=20)
    return out


def measure_update(run: Run, corpus, index_dir: Path) -> dict:
    """`manage.py update` three times on the built index: nothing changed, one new file of
    100 articles, one file of 100 articles deleted. The source folder is restored after."""
    def update(step: str) -> dict:
        command = [PYTHON, str(MANAGE), "update", "--source", str(corpus.source), "--index", str(index_dir)]
        m = run_measured(command, log=run.work / "logs" / f"{run.label}-update-{step}.log")
        entry = {"ok": m.ok, "wall_seconds": round(m.seconds, 3), "peak_rss_tree": m.peak_rss_tree}
        line = re.search(r"thêm (\d+), cập nhật (\d+), xóa \d+ bài viết \((\d+) tệp đã bị xóa\).* trong ([\d,]+) giây",
                         m.stdout)
        if line:
            entry.update(updated=int(line.group(1)) + int(line.group(2)), removed_files=int(line.group(3)),
                         library_seconds=float(line.group(4).replace(",", ".")))
        if not m.ok:
            entry["error"] = one_line(m.stderr[-400:], 400)
        return entry

    added = corpus.source / corpus.add_file.name
    delete_file = corpus.delete_file or added  # none given: the added file is deleted again
    parked = delete_file.with_name(delete_file.name + ".parked")
    moved_out = run.work / f"corpus-{run.label}" / delete_file.name
    moved_out.parent.mkdir(parents=True, exist_ok=True)
    out = {}
    try:
        log(f"[{run.label}] update: no change, add 100, delete 100 …")
        out["no_change"] = update("none")
        shutil.copy2(corpus.add_file, added)
        out["add_100"] = update("add")
        os.replace(delete_file, moved_out)
        out["delete_100"] = update("delete")
    finally:
        if added.exists():
            added.unlink()
        if moved_out.exists():
            if corpus.delete_file is None:
                moved_out.unlink()
            else:
                os.replace(moved_out, corpus.delete_file)
        if parked.exists() and corpus.delete_file is not None:
            os.replace(parked, corpus.delete_file)
    return out


def profile_rebuild(run: Run, docs: Sequence[dict], articles: int) -> str:
    """pyinstrument over an in-process rebuild (procs=1) of the first `articles` of the sample."""
    from pyinstrument import Profiler

    from search import rebuild

    from common import write_jsonl_gz

    source = run.work / "profile" / "source"
    shutil.rmtree(source.parent, ignore_errors=True)
    for number, start in enumerate(range(0, articles, 1000)):
        write_jsonl_gz(source / f"shard-{number:04d}.jsonl.gz", docs[start:min(start + 1000, articles)])
    from search.analysis import syllables

    syllables("khởi động")
    profiler = Profiler(interval=0.002)
    profiler.start()
    rebuild(source, source.parent / "index", procs=1)
    profiler.stop()
    return _profile_text(profiler)


def profile_search(index_dir: Path, queries: list[dict]) -> str:
    from pyinstrument import Profiler

    engine = OursEngine(index_dir)
    for query in queries:
        engine.search(query)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(2):
        for query in queries:
            engine.search(query)
    profiler.stop()
    return _profile_text(profiler)


def _profile_text(profiler) -> str:
    from pyinstrument.renderers import ConsoleRenderer

    session = profiler.last_session
    flat = ConsoleRenderer(flat=True, show_all=False, unicode=True).render(session)
    tree = ConsoleRenderer(show_all=False, unicode=True, short_mode=False).render(session)
    return "== self time by function (flat)\n" + flat + "\n== call tree\n" + tree


# ================================================================ one size

def run_size(label: str, size: int | None, by_corpus: dict, args, work: Path) -> dict:
    run = Run(label, work, args.quick)
    docs = proportional_sample(by_corpus, size, SEED)
    rng = random.Random(SEED)
    rng.shuffle(docs)  # the held-out and deleted batches then come from every corpus
    corpus = shard_corpus(docs, work / f"corpus-{label}")
    run.data["corpus"] = {"articles": len(corpus.docs), "mb": round(corpus.bytes / MB, 2),
                          "by_corpus": dict(Counter(d["corpus"] for d in corpus.docs)),
                          "shards": len(list(corpus.source.glob("*.jsonl.gz"))),
                          "source": str(corpus.source)}
    run.save()
    log(f"[{label}] {len(corpus.docs)} articles, {corpus.bytes / MB:.1f} MB in {run.data['corpus']['shards']} files")

    builds = run.data.setdefault("rebuild", {})
    reused = work / f"index-{label}" / "ours-p1"
    if "rebuild" in args.skip and (reused / "current").exists():  # search figures alone, on an earlier build
        log(f"[{label}] reusing our index {reused} (--skip rebuild)")
        builds["vnsearch-p1"] = {"ok": True, "reused": True, "seconds": None, "index_dir": str(reused)}
    else:
        for procs in (1, 2):
            builds[f"vnsearch-p{procs}"] = _rebuild_ours(run, corpus, procs)
            run.save()
    ours_index = Path(builds["vnsearch-p1"]["index_dir"])
    meta_path = work / f"meta-{label}.json"
    meta = None
    if builds["vnsearch-p1"]["ok"]:
        dump_meta(ours_index, meta_path)
        meta = meta_path

    baselines = [("whoosh-standard", 1), ("whoosh-standard", 2), ("whoosh-pyvi", 1), ("whoosh-pyvi", 2),
                 ("fts5", 1), ("tantivy", 1), ("tantivy", 2)]
    if args.quick:  # a smoke test: one build per baseline, two for the ratio targets
        baselines = [b for b in baselines if b[1] == 1 or b[0] == "whoosh-standard"]
    for engine, procs in baselines:
        if engine in args.skip:
            continue
        builds[f"{engine}-p{procs}"] = _rebuild_baseline(run, corpus, engine, procs, meta)
        run.save()

    ours_ok = builds["vnsearch-p1"]["ok"]
    log(f"[{label}] pyvi share …")
    run.data["pyvi"] = measure_pyvi_share(corpus.docs, 100 if args.quick else 600,
                                          builds["vnsearch-p1"]["seconds"] if ours_ok else None)
    run.save()

    queries = load_or_make_queries(args, by_corpus, ours_index if ours_ok else None, work)
    if args.quick or args.queries:
        queries = queries[:args.queries or 50]
    run.data["queries"] = {"count": len(queries), "file": str(args.queries_file),
                           "kinds": dict(Counter(q["kind"] for q in queries))}
    if ours_ok:
        engines = [OursEngine(ours_index)]
        for name, make in (("whoosh-standard", lambda p: WhooshStandardEngine(p)),
                           ("fts5", lambda p: Fts5Engine(p)),
                           ("fts5+facets", lambda p: Fts5Engine(p, facets=True)),
                           ("tantivy", lambda p: TantivyEngine(p))):
            key = ("fts5" if name.startswith("fts5") else name) + "-p1"
            if name in args.skip or key not in builds or not builds[key]["ok"]:
                continue
            engines.append(make(Path(builds[key]["index_dir"])))
        log(f"[{label}] search: {len(queries)} queries × {args.rounds} rounds × {len(engines)} engines …")
        run.data["search"] = measure_search(engines, queries, args.rounds)
        run.data["search_rounds"] = args.rounds
        del engines
        gc.collect()
        run.save()

        fts5_build = builds.get("fts5-p1", {})
        if "http" not in args.skip and fts5_build.get("ok"):
            log(f"[{label}] http: {len(queries)} queries × {args.rounds} rounds over HTTP beside FTS5 …")
            run.data["http"] = measure_http_fixed_cost(run, ours_index, Path(fts5_build["index_dir"]), queries,
                                                       args.rounds)
            run.save()

        if "web" not in args.skip:
            log(f"[{label}] web: {args.web_seconds} s at concurrency 8 …")
            run.data["web"] = measure_web(run, ours_index, queries, args.web_seconds)
            run.save()
            log(f"[{label}] web with one worker: {args.web_seconds} s at concurrency 8 …")
            run.data["web_1"] = measure_web(run, ours_index, queries, args.web_seconds, workers=1)
            run.save()

        if args.profile:
            log(f"[{label}] profiling search …")
            text = profile_search(ours_index, queries)
            (work / f"profile-search-{label}.txt").write_text(text, encoding="utf-8")
            log(f"[{label}] profiling a {args.profile_articles}-article rebuild …")
            text = profile_rebuild(run, corpus.docs, min(args.profile_articles, len(corpus.docs)))
            (work / f"profile-rebuild-{label}.txt").write_text(text, encoding="utf-8")

        if "update" not in args.skip:
            run.data["update"] = measure_update(run, corpus, ours_index)
            run.save()
        if args.opensearch:
            measure_opensearch(run, corpus, ours_index, queries, args, embedded=builds)
    run.data["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    run.data["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    run.data["git_head_at_end"] = git_head()
    run.save()
    return run.data


def run_opensearch_only(label: str, size: int | None, by_corpus: dict, args, work: Path) -> dict:
    """Only the OpenSearch step, added to the size's saved results (the other figures kept)."""
    run = Run(label, work, args.quick)
    if run.path.exists():
        run.data = json.loads(run.path.read_text(encoding="utf-8"))
    docs = proportional_sample(by_corpus, size, SEED)
    random.Random(SEED).shuffle(docs)
    corpus = shard_corpus(docs, work / f"corpus-{label}")
    run.data.setdefault("corpus", {"articles": len(corpus.docs), "mb": round(corpus.bytes / MB, 2),
                                   "by_corpus": dict(Counter(d["corpus"] for d in corpus.docs)),
                                   "shards": len(list(corpus.source.glob("*.jsonl.gz"))), "source": str(corpus.source)})
    ours = run.data.get("rebuild", {}).get("vnsearch-p1")
    ours_index = Path(ours["index_dir"]) if ours and ours.get("ok") else None
    if args.queries_file.exists() and not args.regen_queries:
        queries = load_or_make_queries(args, by_corpus, None, work)
    else:  # the query set is drawn from our index: build it first
        ours_index = Path(_rebuild_ours(run, corpus, 1)["index_dir"])
        queries = load_or_make_queries(args, by_corpus, ours_index, work)
    if args.quick or args.queries:
        queries = queries[:args.queries or 50]
    run.data.setdefault("queries", {"count": len(queries), "file": str(args.queries_file),
                                    "kinds": dict(Counter(q["kind"] for q in queries))})
    run.data.setdefault("finished", time.strftime("%Y-%m-%d %H:%M:%S"))
    measure_opensearch(run, corpus, ours_index, queries, args)
    return run.data


def load_or_make_queries(args, by_corpus: dict, ours_index: Path | None, work: Path) -> list[dict]:
    path: Path = args.queries_file
    if path.exists() and not args.regen_queries:
        return json.loads(path.read_text(encoding="utf-8"))["queries"]
    if ours_index is None:
        raise SystemExit("no query set yet and our index failed to build: cannot draw queries")
    sample = proportional_sample(by_corpus, QUERY_SAMPLE if not args.quick else 2000, SEED)
    facet_values = existing_facet_values(ours_index)
    log(f"drawing queries from {len(sample)} titles; facet values: {facet_values}")
    queries = generate_queries([d.get("title") or "" for d in sample], facet_values)
    document = {
        "about": "vnsearch performance query set (bench/perf.py): drawn with a fixed seed from the titles "
                 "of a fixed 10k-article sample of the news corpora; filters use values present in the index.",
        "seed": QUERY_SEED, "sample_articles": len(sample), "facet_values": facet_values,
        "queries": queries,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return queries


def run_serving(args, work: Path) -> dict:
    """The serving and update figures on an index built beforehand (`--index-dir`, from
    `--source`): server ready, memory (RSS and PSS) and requests/s with serve's default workers
    and with one, in the same run; then update with nothing changed, adding `--add-file` (100
    articles) and deleting it again. The rebuild time the update is compared with is the index's
    own (its report.json), unless `--rebuild-seconds` gives one."""
    from types import SimpleNamespace

    from search.store.container import read_report

    label = args.size_label
    run = Run(f"{label}-serving", work, False)
    report = read_report((args.index_dir / "current").resolve())
    run.data.update(size=label, mode="serving", index_dir=str(args.index_dir))
    run.data["corpus"] = {"articles": report.get("indexed"), "source": str(args.source)}
    run.data["rebuild_reference"] = {"seconds": args.rebuild_seconds or report.get("seconds"),
                                     "from": "--rebuild-seconds" if args.rebuild_seconds else "report.json"}
    run.save()
    queries = json.loads(args.queries_file.read_text(encoding="utf-8"))["queries"]
    if args.queries:
        queries = queries[:args.queries]
    run.data["queries"] = {"count": len(queries), "file": str(args.queries_file)}
    log(f"[{run.label}] web: {args.web_seconds} s at concurrency 8, default workers …")
    run.data["web"] = measure_web(run, args.index_dir, queries, args.web_seconds)
    run.save()
    log(f"[{run.label}] web: {args.web_seconds} s at concurrency 8, one worker …")
    run.data["web_1"] = measure_web(run, args.index_dir, queries, args.web_seconds, workers=1)
    run.save()
    log(f"[{run.label}] web: {args.web_seconds} s at concurrency 8, default workers, --no-cpu-affinity …")
    run.data["web_free"] = measure_web(run, args.index_dir, queries, args.web_seconds, pinned=False)
    run.save()
    if args.add_file:
        corpus = SimpleNamespace(source=args.source, add_file=args.add_file, delete_file=None)
        run.data["update"] = measure_update(run, corpus, args.index_dir)
    run.data["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    run.data["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    run.save()
    return run.data


# ================================================================ report

def _fmt_bytes(n) -> str:
    if n is None:
        return "–"
    return f"{n / MIB:,.0f} MiB" if n < 10 * 1024 ** 3 else f"{n / 1024 ** 3:.1f} GiB"


def _ratio(a, b) -> str:
    try:
        return f"{a / b:.2f}×"
    except (TypeError, ZeroDivisionError):
        return "–"


def _ms(x) -> str:
    return "–" if x is None else f"{x:.1f}"


def targets(data: dict) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, threshold, met) rows for one size."""
    rows = []
    label = data.get("size", data["label"])
    builds = data.get("rebuild", {})
    for procs in (1, 2):
        ours, base = builds.get(f"vnsearch-p{procs}"), builds.get(f"whoosh-standard-p{procs}")
        if ours and base and ours["ok"] and base["ok"] and not ours.get("reused"):
            ratio = ours["articles_per_s"] / base["articles_per_s"]
            rows.append((f"rebuild --procs {procs}: ours / Whoosh StandardAnalyzer (articles/s)",
                         f"{ratio:.2f}×", "≥ 0.40×", ratio >= TARGETS["rebuild_vs_whoosh"]))
    search = data.get("search", {})
    ours = search.get("vnsearch")
    if ours and ours.get("n"):
        limit = TARGETS["p95_ms"].get(label)
        if limit:
            rows.append((f"search p95 at {label}", f"{ours['p95']:.1f} ms", f"≤ {limit:.0f} ms", ours["p95"] <= limit))
        fts = search.get("fts5")
        if fts and fts.get("n"):
            ratio = ours["p50"] / fts["p50"]
            rows.append(("search p50: ours / SQLite FTS5 with snippet()", f"{ratio:.1f}×", "≤ 5×",
                         ratio <= TARGETS["p50_vs_fts5"]))
    http = data.get("http", {})
    if http.get("ratio_p50"):
        rows.append(("search p50 over HTTP (`/api/search`) ÷ SQLite FTS5 p50 with snippet() in-process",
                     f"{http['ratio_p50']:.1f}×", "≤ 3×", http["ratio_p50"] <= TARGETS["http_p50_vs_fts5"]))
    update = data.get("update", {}).get("add_100", {})
    rebuild_seconds = [b["seconds"] for k, b in builds.items() if k.startswith("vnsearch") and b.get("ok") and b.get("seconds")]
    if data.get("rebuild_reference", {}).get("seconds"):
        rebuild_seconds.append(data["rebuild_reference"]["seconds"])
    if update.get("ok") and rebuild_seconds:
        share = update["wall_seconds"] / min(rebuild_seconds)
        rows.append(("update: add 100 articles / fastest full rebuild (wall)", f"{share * 100:.2f} %",
                     f"< {TARGETS['update_share'] * 100:.0f} %", share < TARGETS["update_share"]))
    nothing = data.get("update", {}).get("no_change", {})
    if nothing.get("ok"):
        rows.append(("update with nothing changed (wall, incl. process start)", f"{nothing['wall_seconds']:.2f} s",
                     f"≤ {TARGETS['noop_update_s']:.0f} s", nothing["wall_seconds"] <= TARGETS["noop_update_s"]))
    web, one = data.get("web", {}), data.get("web_1", {})
    if web.get("startup_s") is not None and not web.get("error"):
        rows.append((f"server ready (first 200 on /healthz), {web.get('workers')} workers", f"{web['startup_s']:.2f} s",
                     f"≤ {TARGETS['ready_s']:.0f} s", web["startup_s"] <= TARGETS["ready_s"]))
    if web.get("rps") and one.get("rps"):
        ratio = web["rps"] / one["rps"]
        rows.append((f"web API at concurrency 8: {web.get('workers')} workers ÷ 1 worker (requests/s)",
                     f"{ratio:.2f}× ({web['rps']:.1f} vs {one['rps']:.1f})", f"≥ {TARGETS['workers_rps']:.1f}×",
                     ratio >= TARGETS["workers_rps"]))
    if label == "all" and web.get("rss_peak_bytes"):
        rows.append(("serve RSS peak under load, all processes, full corpus", _fmt_bytes(web["rss_peak_bytes"]),
                     "< 1 GiB", web["rss_peak_bytes"] < TARGETS["serve_rss_bytes"]))
    if label == "all" and web.get("pss_end_bytes"):
        rows.append(("serve PSS after load, all processes, full corpus", _fmt_bytes(web["pss_end_bytes"]),
                     "< 1 GiB", web["pss_end_bytes"] < TARGETS["serve_rss_bytes"]))
    return rows


def render_report(results: list[dict], command: str, quick: bool) -> str:
    first = results[0]
    m = first["machine"]
    v = first["versions"]
    lines = [
        "# Performance benchmark (issue 7)" + (" — QUICK smoke run, not for quoting" if quick else ""),
        "",
        "Produced by `bench/perf.py`; every figure below comes from the results files in "
        "`bench/work/perf/` and is regenerated with `--report-only`.",
        "",
        "## Machine and software",
        "",
        f"- {m['nproc']} CPUs ({m.get('cpu') or 'unknown model'}), {m.get('memory_gib', '?')} GiB RAM, "
        f"{m['platform']}; load average at start {m['loadavg_at_start']}",
        f"- Python {m['python']}, whoosh3 {v.get('whoosh3')}, pyvi {v.get('pyvi')}, SQLite {first['sqlite']}, "
        f"tantivy {v.get('tantivy')}, waitress {v.get('waitress')}, flask {v.get('flask')}, numpy {v.get('numpy')}; "
        f"bench-only: psutil {v.get('psutil')}, matplotlib {v.get('matplotlib')}, pyinstrument {v.get('pyinstrument')}",
        f"- vnsearch at git {first.get('git_head')}",
        "- The machine is shared and noisy: ours and the baselines are measured in the same run, "
        "search engines take turns query by query.",
        "",
        "## Commands",
        "",
        "```",
        command,
        "```",
        "",
        "Each size is a fixed proportional sample (seed 7) of vntc_news, baomoi_news, unc_dantri_news and "
        "news24h_sample, written as jsonl.gz files of 1000 articles; 100 more articles are held out for the "
        "update test. MB = 10^6 bytes of UTF-8 title + text. Rebuilds run as subprocesses "
        "(`manage.py rebuild --procs N` for ours, `perf.py _build ENGINE` for the baselines); peak RSS is "
        "the sum over the process tree, sampled every 0.1 s with psutil.",
        "",
    ]
    for data in results:
        lines += _size_section(data)
    lines += [
        "## Baselines, as configured",
        "",
        "- **whoosh-standard**: Whoosh 3 `StandardAnalyzer(stoplist=None)` (English stop words removed "
        "Vietnamese syllables such as *an*, *to*, *be*), title and text stored with positions, BM25F, title ×2; "
        "word groups AND-ed up to 3 groups, OR-ed from 4 (like ours), a compound as a phrase; "
        "top 10 with Whoosh's highlighter on the text; exact total; no facets; `add_document` (ours uses "
        "`update_document`, which also de-duplicates by id).",
        "- **whoosh-pyvi** (rebuild only): `pyvi.ViTokenizer.tokenize` then `\\w+` tokens and lower case, "
        "same schema: what plain Whoosh over pyvi-segmented text costs, without our three token kinds, "
        "tone normalisation, chunking, offsets into the original and metadata extraction.",
        "- **fts5**: SQLite FTS5, `unicode61 remove_diacritics 2`, bm25 title ×2, top 10 with `snippet()`, "
        "exact `count(*)`; **fts5+facets** adds one `GROUP BY` per filter column (province, year, category, "
        "source) with the same MATCH and filters. Single-threaded build.",
        "- **tantivy**: tantivy-py, simple tokenizer + lowercase + ascii_fold (accent-insensitive only), "
        "BM25 with title ×2, the same AND/OR groups through its query parser, top 10 with "
        "`SnippetGenerator` HTML, exact count; no facets. `--procs N` = writer threads.",
        "- The baselines filter on the province, year, category and source our ingest stored for each "
        "article (read back from our index), so filtered queries select the same articles.",
        "- Ours always computes the five facets (disjunctive) and highlighted snippets for every query.",
        "",
    ]
    return "\n".join(lines) + "\n"


def _size_section(data: dict) -> list[str]:
    label = data["label"]
    corpus = data.get("corpus", {})
    if data.get("mode") == "serving":
        lines = [f"## {label}: {corpus.get('articles', '?'):,} articles, an index built beforehand "
                 f"({data.get('index_dir')}, source {corpus.get('source')})", ""]
    else:
        lines = [f"## {label}: {corpus.get('articles', '?'):,} articles, {corpus.get('mb', '?')} MB "
                 f"({', '.join(f'{k} {n:,}' for k, n in corpus.get('by_corpus', {}).items())})", ""]
    m = data.get("machine", {})
    lines += [f"Run {data.get('started')} → {data.get('finished', 'unfinished')}; load average (1/5/15 min) "
              f"{m.get('loadavg_at_start')} at start, {data.get('loadavg_at_end', '?')} at end on {m.get('nproc')} CPUs; "
              f"vnsearch at git {data.get('git_head')}"
              + (f" (HEAD moved to {data['git_head_at_end']} during the run)"
                 if data.get("git_head_at_end") not in (None, data.get("git_head")) else "") + ".", ""]
    if not data.get("finished"):
        lines += ["*This size's run had not finished when the report was written; missing rows are pending.*", ""]
    rows = targets(data)
    if rows:
        lines += ["### Targets", "", "| target | measured | threshold | met |", "|---|---|---|---|"]
        for name, measured, threshold, met in rows:
            lines.append(f"| {name} | {measured} | {threshold} | {'yes' if met else '**no**'} |")
        lines.append("")
    builds = data.get("rebuild", {})
    if builds:
        base = {p: builds.get(f"whoosh-standard-p{p}") for p in (1, 2)}
        lines += ["### Rebuild", "",
                  "| engine | procs | seconds | articles/s | MB/s | ours ÷ this (articles/s) | index size | peak RSS (tree) |",
                  "|---|---|---|---|---|---|---|---|"]
        for key, b in builds.items():
            engine, procs = key.rsplit("-p", 1)
            ours = builds.get(f"vnsearch-p{procs}")
            if not b.get("ok"):
                lines.append(f"| {engine} | {procs} | failed: {b.get('error', '')[:120]} | | | | | |")
                continue
            if b.get("reused"):
                lines.append(f"| {engine} | {procs} | not rebuilt (`--skip rebuild`: an earlier build reused) | | | | | |")
                continue
            ratio = (_ratio(ours["articles_per_s"], b["articles_per_s"])
                     if ours and ours.get("ok") and not ours.get("reused") else "–")
            lines.append(f"| {engine} | {procs} | {b['seconds']:.1f} | {b['articles_per_s']:,.0f} | "
                         f"{b['mb_per_s']:.2f} | {ratio} | {_fmt_bytes(b.get('index_bytes'))} | "
                         f"{_fmt_bytes(b['peak_rss_tree'])} |")
        lines.append("")
        del base
    pyvi = data.get("pyvi")
    if pyvi:
        share = pyvi.get("share_of_ours_p1_rebuild")
        lines += [
            f"pyvi's share of our `--procs 1` rebuild: **{share * 100:.0f} %** (estimated: `syllables()` "
            f"with segment_words=True vs False over {pyvi['sample_articles']} of the same articles, "
            f"{pyvi['syllables_with_pyvi_s']:.2f} s vs {pyvi['syllables_without_pyvi_s']:.2f} s; pyvi runs at "
            f"{pyvi.get('pyvi_mb_per_s')} MB/s, ≈ {pyvi['estimated_pyvi_seconds']:.0f} s for the whole corpus; "
            f"tokenising syllables + pyvi together ≈ {pyvi.get('syllables_share_of_ours_p1_rebuild', 0) * 100:.0f} %)."
            if share is not None else "pyvi share: ours did not build.", ""]
    search = data.get("search", {})
    if search:
        fts = search.get("fts5", {})
        ours = search.get("vnsearch", {})
        lines += [f"### Search ({data['queries']['count']} queries × {data.get('search_rounds')} rounds, warm, in-process)",
                  "", "| engine | p50 ms | p95 ms | p99 ms | mean ms | ours ÷ this (p50) | ours ÷ this (p95) | "
                  "queries with 0 results | mean total |", "|---|---|---|---|---|---|---|---|---|"]
        for name, s in search.items():
            if not s.get("n"):
                continue
            lines.append(f"| {name} | {_ms(s['p50'])} | {_ms(s['p95'])} | {_ms(s['p99'])} | {_ms(s['mean'])} | "
                         f"{_ratio(ours.get('p50'), s['p50'])} | {_ratio(ours.get('p95'), s['p95'])} | "
                         f"{s['zero_results']} | {s['mean_total']} |")
        lines.append("")
        kinds = list(ours.get("by_kind", {}))
        if kinds:
            engines = [n for n, s in search.items() if s.get("n")]
            lines += ["p50 / p95 (ms) by query kind:", "",
                      "| kind | " + " | ".join(engines) + " |", "|---" * (len(engines) + 1) + "|"]
            for kind in kinds:
                cells = []
                for name in engines:
                    k = search[name].get("by_kind", {}).get(kind)
                    cells.append(f"{k['p50']:.1f} / {k['p95']:.1f}" if k else "–")
                lines.append(f"| {kind} | " + " | ".join(cells) + " |")
            lines.append("")
        errors = {n: s.get("first_error") for n, s in search.items() if s.get("errors")}
        if errors:
            lines += ["Queries a baseline could not run: " + "; ".join(f"{n}: {e}" for n, e in errors.items()), ""]
        del fts
    webs = [w for w in (data.get("web"), data.get("web_1"), data.get("web_free")) if w]
    if webs:
        lines += ["### Web (`manage.py serve`, waitress in each gunicorn worker, `/api/search` with the query set)", "",
                  "| workers | concurrency | seconds | requests | requests/s | p50 ms | p95 ms | p99 ms | non-200 | "
                  "errors | cores busy: server processes / client | RSS idle | PSS idle | RSS peak | RSS end | PSS end | ready |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for web in webs:
            if web.get("error"):
                lines.append(f"| {_workers(web)} | not measured: {web['error']} |" + " |" * 15)
                continue
            lat = web.get("latency_ms", {})
            lines.append(f"| {_workers(web)} | {web['concurrency']} | {web['seconds']:.0f} | "
                         f"{web['requests']:,} | {web['rps']:.1f} | "
                         f"{_ms(lat.get('p50'))} | {_ms(lat.get('p95'))} | {_ms(lat.get('p99'))} | "
                         f"{web['requests'] - web.get('ok', 0)} | {sum(web.get('errors', {}).values())} | "
                         f"{_cores(web)} | {_fmt_bytes(web.get('rss_idle_bytes'))} | {_fmt_bytes(web.get('pss_idle_bytes'))} | "
                         f"{_fmt_bytes(web.get('rss_peak_bytes'))} | {_fmt_bytes(web.get('rss_end_bytes'))} | "
                         f"{_fmt_bytes(web.get('pss_end_bytes'))} | {web.get('startup_s')} s |")
        lines += ["", "RSS and PSS are summed over gunicorn's master and its workers: RSS counts a page shared by "
                  "N processes (the memory-mapped arrays and vocabulary, the index's page cache) N times, PSS "
                  "1/N in each. *ready*: from starting `serve` to its first 200 on /healthz. The load client "
                  "(bench/loadgen.py, threads + http.client keep-alive) runs on the same 2 CPUs as the server. "
                  "*cores busy*: CPU seconds of each server process and of the load client over the timed "
                  "load's seconds. With as many workers as CPUs, serve pins each to a CPU of its own "
                  "(`--no-cpu-affinity`: not); one worker of two CPUs is not pinned.", ""]
    http = data.get("http")
    if http:
        lines += ["### Fixed cost: one request at a time over HTTP (`manage.py serve --workers 1`, `/api/search`)", ""]
        if http.get("error"):
            lines += [f"Not measured: {http['error']}.", ""]
        else:
            lines += [f"{http['queries']} queries × {http['rounds']} rounds, warm, one keep-alive connection, "
                      "taking turns query by query with SQLite FTS5 in-process (snippet(), no facets).", "",
                      "| | p50 ms | p95 ms | p99 ms | mean ms |", "|---|---|---|---|---|"]
            for name, key in (("ours over HTTP", "http"), ("fts5 in-process", "fts5")):
                t = http[key]
                lines.append(f"| {name} | {_ms(t['p50'])} | {_ms(t['p95'])} | {_ms(t['p99'])} | {_ms(t['mean'])} |")
            lines += ["", f"Ratio of p50s: **{http['ratio_p50']:.2f}×**.", ""]
    lines += _opensearch_section(data)
    for kind in ("rebuild", "search"):
        profile = WORK / "perf" / f"profile-{kind}-{label}.txt"
        if profile.exists() and not data.get("quick"):
            top = _profile_top(profile.read_text(encoding="utf-8"), 12)
            if top:
                lines += [f"pyinstrument, {kind} ({'in-process `rebuild()` of 2000 of these articles, procs=1' if kind == 'rebuild' else 'the query set twice, warm'}; "
                          f"recorded {time.strftime('%Y-%m-%d %H:%M', time.localtime(profile.stat().st_mtime))}, "
                          "so possibly on older code than the tables above), "
                          f"top self time (s) — full output in `bench/work/perf/{profile.name}`:", "", "```", *top, "```", ""]
    update = data.get("update")
    if update:
        lines += ["### Update (`manage.py update`, wall time incl. process start; library time in brackets)", "",
                  "| change | wall s | library s | articles added | files removed |", "|---|---|---|---|---|"]
        for key, title in (("no_change", "nothing changed"), ("add_100", "add a file of 100 articles"),
                           ("delete_100", "delete a file of 100 articles")):
            u = update.get(key)
            if u:
                lines.append(f"| {title} | {u['wall_seconds']:.2f} | {u.get('library_seconds', '–')} | "
                             f"{u.get('updated', '–')} | {u.get('removed_files', '–')} |")
        lines.append("")
    return lines


def _opensearch_section(data: dict) -> list[str]:
    step = data.get("opensearch")
    if not step:
        return []
    node = step.get("node", {})
    where = (f"one node started by the harness (OpenSearch {node.get('version')}, Lucene {node.get('lucene')}, "
             f"heap {node.get('heap')}, on the same 2 CPUs as the client)" if node.get("started_here")
             else f"a running cluster (OpenSearch {node.get('version')})")
    lines = ["### OpenSearch backend", "",
             f"Measured {step.get('started')} → {step.get('finished', 'unfinished')} (load average "
             f"{step.get('loadavg_at_start')} at start, {step.get('loadavg_at_end', '?')} at end; vnsearch at git "
             f"{step.get('git_head')}" + (f"; `{step['command']}`" if step.get("command") else "") + f") on {where}. Bulk indexing is `manage.py rebuild --opensearch URL --procs N`: "
             "our analysis (pyvi included) in Python, then parallel bulk requests; 1 shard, 0 replicas.", "",
             "| backend | procs | seconds | articles/s | MB/s | opensearch ÷ embedded (articles/s) | index size | "
             "peak RSS (Python tree) | JVM RSS |", "|---|---|---|---|---|---|---|---|---|"]
    embedded = {**data.get("rebuild", {}), **{k: b for k, b in step.get("rebuild", {}).items() if k.startswith("vnsearch")}}
    for procs in (1, 2):
        for name, b in (("embedded", embedded.get(f"vnsearch-p{procs}")),
                        ("opensearch", step.get("rebuild", {}).get(f"opensearch-p{procs}"))):
            if not b:
                continue
            if not b.get("ok"):
                lines.append(f"| {name} | {procs} | failed: {b.get('error', '')[:120]} | | | | | | |")
                continue
            ours = embedded.get(f"vnsearch-p{procs}")
            ratio = _ratio(b["articles_per_s"], ours["articles_per_s"]) if ours and ours.get("ok") else "–"
            lines.append(f"| {name} | {procs} | {b['seconds']:.1f} | {b['articles_per_s']:,.0f} | {b['mb_per_s']:.2f} | "
                         f"{ratio if name == 'opensearch' else '1.00×'} | {_fmt_bytes(b.get('index_bytes'))} | "
                         f"{_fmt_bytes(b.get('peak_rss_tree'))} | {_fmt_bytes(b.get('jvm_rss'))} |")
    lines.append("")
    search = step.get("search", {})
    if search:
        base = search.get("vnsearch", {})
        lines += [f"Search through the API ({step.get('queries')} queries × {step.get('rounds')} rounds, warm, "
                  "both backends in turn, query by query; OpenSearch over HTTP on loopback, facets and snippets "
                  "included in both):", "",
                  "| backend | p50 ms | p95 ms | p99 ms | mean ms | ÷ embedded (p50) | ÷ embedded (p95) | "
                  "queries with 0 results | mean total |", "|---|---|---|---|---|---|---|---|---|"]
        for name, label in (("vnsearch", "embedded"), ("opensearch", "opensearch")):
            r = search.get(name, {})
            if r.get("n"):
                lines.append(f"| {label} | {_ms(r['p50'])} | {_ms(r['p95'])} | {_ms(r['p99'])} | {_ms(r['mean'])} | "
                             f"{_ratio(r['p50'], base.get('p50'))} | {_ratio(r['p95'], base.get('p95'))} | "
                             f"{r['zero_results']} | {r['mean_total']} |")
        errors = {n: r.get("first_error") for n, r in search.items() if r.get("errors")}
        if errors:
            lines += ["", "Errors: " + "; ".join(f"{n}: {e}" for n, e in errors.items())]
        lines.append("")
    return lines


def _profile_top(text: str, count: int) -> list[str]:
    lines = text.split("== call tree")[0].splitlines()
    rows = [line for line in lines if re.match(r"^\d+\.\d+ ", line)]
    header = [re.sub(r"^[\s/_\\.'|]+", "", line).strip() for line in lines if "Recorded:" in line or "Duration:" in line]
    return header[:2] + rows[:count]


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / max(1, len(results))
    for i, data in enumerate(results):
        step = data.get("opensearch", {})
        builds = {k: b for k, b in {**data.get("rebuild", {}), **step.get("rebuild", {})}.items()
                  if b.get("ok") and not b.get("reused")}
        names = list(builds)
        axes[0].barh([j + i * width for j in range(len(names))], [builds[n]["articles_per_s"] for n in names],
                     height=width, label=data["label"])
        axes[0].set_yticks([j + width * (len(results) - 1) / 2 for j in range(len(names))], names)
        measured = dict(data.get("search", {}))
        if step.get("search", {}).get("opensearch"):
            measured["opensearch"] = step["search"]["opensearch"]
        search = {k: s for k, s in measured.items() if s.get("n")}
        engines = list(search)
        xs = [j + i * width for j in range(len(engines))]
        axes[1].bar(xs, [search[e]["p50"] for e in engines], width=width, label=f"{data['label']} p50")
        axes[1].scatter(xs, [search[e]["p95"] for e in engines], marker="_", s=200, color="black",
                        label="p95" if i == 0 else None, zorder=3)
        axes[1].set_xticks([j + width * (len(results) - 1) / 2 for j in range(len(engines))], engines,
                           rotation=15)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("articles/s (log)")
    axes[0].set_title("Rebuild throughput")
    axes[0].legend()
    axes[1].set_yscale("log")
    axes[1].set_ylabel("ms (log)")
    axes[1].set_title("Search latency, warm (bar p50, tick p95)")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render_opensearch_report(results: list[dict]) -> str:
    """The OpenSearch steps alone (--opensearch-only): each size's embedded and OpenSearch figures."""
    lines = ["# Performance benchmark: the OpenSearch backend (issue 21)", "",
             "Produced by `bench/perf.py --opensearch-only` (see each section's command); the figures come from "
             "the `opensearch` step of the results files in `bench/work/perf/` and are regenerated with "
             "`--opensearch-only --report-only`. The embedded rows are measured in the same step, beside "
             "OpenSearch's, so the machine's load hits both alike. Machine: "
             + (lambda m: f"{m.get('nproc')} CPUs ({m.get('cpu') or 'unknown model'}), {m.get('memory_gib', '?')} GiB RAM, "
                          f"Python {m.get('python')}; shared with other sessions (see each load average).")(
                 results[0].get("machine", {})), ""]
    for data in results:
        if not data.get("opensearch"):
            continue
        corpus = data.get("corpus", {})
        lines += [f"## {data['label']}: {corpus.get('articles', '?'):,} articles, {corpus.get('mb', '?')} MB", ""]
        lines += _opensearch_section(data)
    return "\n".join(lines) + "\n"


def write_report(work: Path, quick: bool, command: str, own: bool = False, opensearch_only: bool = False) -> Path | None:
    """The report of every results file in `work`: bench/RESULTS_perf.md and bench/perf.png, or
    files in `work` itself for a quick run or one of its `own` (--index-dir); with `opensearch_only`,
    bench/RESULTS_opensearch.md of the OpenSearch steps alone."""
    order = {"quick": 0, "10k": 1, "all": 2}
    results = []
    for path in sorted(work.glob("results-*.json")):
        results.append(json.loads(path.read_text(encoding="utf-8")))
    results.sort(key=lambda d: (order.get(d["label"], 1.5), d.get("corpus", {}).get("articles", 0)))
    if not results:
        return None
    if opensearch_only:
        md = RESULTS_OPENSEARCH_MD if not quick else work / "RESULTS_opensearch.md"
        md.write_text(render_opensearch_report(results), encoding="utf-8")
        return md
    md = RESULTS_MD if not (quick or own) else work / "RESULTS_perf.md"
    png = PLOT if not (quick or own) else work / "perf.png"
    md.write_text(render_report(results, command, quick), encoding="utf-8")
    if own:  # serving and update figures only: nothing to plot
        return md
    try:
        plot(results, png)
    except ImportError:
        log("matplotlib missing: no plot")
    except ValueError as error:  # e.g. a size with no search measured yet: nothing on a log scale
        log(f"no plot: {error}")
    return md


# ================================================================ main

def size_label(size: int | None) -> str:
    if size is None:
        return "all"
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def parse_sizes(text: str) -> list[int | None]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part == "all":
            sizes.append(None)
        else:
            value = int(part.replace("k", "000").replace("_", ""))
            if value < 300:
                raise argparse.ArgumentTypeError("sizes must be at least 300 articles")
            sizes.append(value)
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_build"]:
        parser = argparse.ArgumentParser(prog="perf.py _build")
        parser.add_argument("engine")
        parser.add_argument("--source", type=Path, required=True)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--procs", type=int, default=1)
        parser.add_argument("--meta", type=Path)
        return child_build(parser.parse_args(argv[1:]))

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=None, help="comma-separated: 10000,all (default)")
    parser.add_argument("--quick", action="store_true", help="600 articles, 50 queries, 5 s web: a smoke test")
    parser.add_argument("--queries", type=int, default=0, help="use only the first N queries of the set")
    parser.add_argument("--rounds", type=int, default=None, help="timed passes over the query set (default 3)")
    parser.add_argument("--web-seconds", type=float, default=None)
    parser.add_argument("--skip", default="", help="comma-separated: whoosh-standard,whoosh-pyvi,fts5,tantivy,web,http,update; "
                        "rebuild: reuse our index of an earlier run at that size (search figures only)")
    parser.add_argument("--profile", action="store_true", help="also write pyinstrument profiles of search and rebuild")
    parser.add_argument("--profile-articles", type=int, default=2000)
    parser.add_argument("--regen-queries", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from saved results")
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--opensearch", default=None, metavar="start|URL",
                        help="also measure the OpenSearch backend: start a node here, or use a running cluster")
    parser.add_argument("--opensearch-heap", default="512m", help="heap of a node started here (default 512m)")
    parser.add_argument("--opensearch-only", action="store_true",
                        help="only the OpenSearch step, added to each size's saved results")
    parser.add_argument("--index-dir", type=Path, help="measure serving and update on this index, built "
                        "beforehand from --source (no rebuild, no baselines)")
    parser.add_argument("--source", type=Path, help="with --index-dir: the folder it was built from (update "
                        "adds --add-file to it, then deletes it again)")
    parser.add_argument("--add-file", type=Path, help="with --index-dir: a file of 100 articles to add")
    parser.add_argument("--rebuild-seconds", type=float, help="with --index-dir: the full rebuild time to "
                        "compare the update with (default: the index's report.json)")
    parser.add_argument("--size-label", default="all", help="with --index-dir: the size it stands for")
    args = parser.parse_args(argv)
    if args.opensearch_only and not args.opensearch:
        args.opensearch = "start"
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    work = WORK / ("perf-quick" if args.quick else "perf")
    if args.sizes is None:
        args.sizes = [600] if args.quick else [10_000, None]
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.web_seconds is None:
        args.web_seconds = 5.0 if args.quick else 30.0
    args.queries_file = work / "queries.json" if args.quick else QUERIES_FILE
    command = "python bench/perf.py " + " ".join(a for a in argv if a != "--report-only")
    args.command = command.strip()
    if args.report_only:
        path = write_report(work, args.quick, command.strip(), opensearch_only=args.opensearch_only)
        log(f"report: {path}")
        return 0

    work.mkdir(parents=True, exist_ok=True)
    if args.index_dir:
        if args.add_file and not args.source:
            parser.error("--add-file needs --source")
        work = WORK / "perf-serving"
        work.mkdir(parents=True, exist_ok=True)
        run_serving(args, work)
        path = write_report(work, args.quick, command.strip(), own=True)
        log(f"[serving] done; report: {path}")
        return 0
    log(f"loading corpora from {args.corpora} …")
    by_corpus = load_news(args.corpora)
    for size in args.sizes:
        label = "quick" if args.quick else size_label(size)
        (run_opensearch_only if args.opensearch_only else run_size)(label, size, by_corpus, args, work)
        path = write_report(work, args.quick, command.strip(), opensearch_only=args.opensearch_only)
        log(f"[{label}] done; report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

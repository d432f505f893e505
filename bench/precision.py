"""Precision benchmark (issue 15): whole result sets of our engine against brute-force truths.

    .venv/bin/python bench/precision.py [--size 20000] [--quick] [--label TEXT] [--rebuild | --reuse]

The relevance benchmark looks at the first ten results only; this one checks every result
of a query. A proportional sample (seed 7) of the news corpora (vntc_news, baomoi_news,
unc_dantri_news, news24h_sample) is written as jsonl.gz shards under
bench/work/precision/corpus-<size>/ and indexed there with `search.rebuild(..., procs=2)`;
the index is kept and reused while the sample and search/ are unchanged (its key: the
articles' fingerprint and the git tree of search/, plus a hash of its files when they differ
from HEAD). --rebuild forces a new index; --reuse takes the kept one whatever its key.

Each query of bench/precision_queries.json runs twice: as typed, and with its marks stripped
(text.fold_accents: every mark removed, đ → d). Of each run we take the engine's whole result
set S through its export path (`SearchIndex.export`, the function behind `manage.py search
--export` and `/api/export`), with the defaults a user gets, plus the first page by relevance
and by date (`sort=newest`), and the result's `matching` (and `accents`, when the engine
reports it).

The truths are computed from the title and text of every indexed article, read back from the
index (the export of the empty query), so they see exactly what was indexed. Both sides of a
comparison go through the project's own normalisation, `text.normalize` (NFC, one
tone placement, lower case), and are cut into syllables by `analysis.SYLLABLE`
(runs of letters and digits; punctuation and spaces separate). A query syllable is *marked*
when it has any mark (`text.has_accents`: a tone, a hat, a horn, a breve or đ). A marked
syllable matches an article syllable exactly (after normalisation); an unmarked one matches
every article syllable that folds to it (`bao` matches bão, báo, bảo, bao).

- P(q), the precision truth: the articles in which every syllable of the query occurs, in
  the title or the text, anywhere. Nothing outside P may be selected (SPEC §4: "typed marks
  are meant"; §5: "an article missing a typed syllable never is").
- R(q), the recall truth: the articles in which every word of the query occurs, each word as
  its syllables side by side (consecutive in the syllable stream of the title or of the text:
  punctuation and line breaks between them are skipped, as the index's positions skip them),
  words in any order and anywhere. The words are those of the queries file, each a contiguous
  run of the query's syllables, grouped as coarsely as a split by the index's vocabulary
  could group them ("bão lũ" | "miền Trung"): whatever split the engine chooses, SPEC §5
  says every article of R must be selected. A word that no article holds side by side, even
  with its marks folded, cannot be in the index's vocabulary: it is cut into its longest runs
  that some article holds (Truths.words_found). R ⊆ P.
- Rseq(q), the strictest reading: the whole query side by side, in the typed order (SPEC §5:
  "whatever the split, an article holding every syllable in the typed order, side by side,
  is always selected"). Rseq ⊆ R.
- precision = |S ∩ P| / |S| (1.0 when S is empty); recall = |S ∩ R| / |R| (1.0 when R is
  empty), the same for Rseq. When R is empty and the engine fell back to any-word matching (`matching: "any"`),
  the fallback is one SPEC §5 allows (no article holds every word), P does not apply: the
  query's precision and newest P@10 are "n/a (fallback)" and left out of the means.
  When the engine says it ignored the typed marks (`accents: "ignored"`) and no article holds
  every word with them (SPEC §4: run again with marks ignored), the typed query is judged
  against the truths of its stripped form; when some article does, against its own.
- newest P@10: the share of the first ten hits by `sort=newest` that are in P (1.0 when none).
- names P@10: for a person or place, N = the articles holding the whole name side by side
  (marks exact where typed, folded where stripped); of the first k = min(10, |N|) hits by
  relevance, the share in N (a hit missing from the first page counts as not in N; 1.0 when
  N is empty), so the target can be met when fewer than ten articles name them.
- reorderings: for a query marked `reorder`, every other order of its words (a word such as
  "miền Trung" kept whole) is run too; the Jaccard overlap of each one's S with the query's S
  should be 1.0. Reorderings are not counted in the means.

Targets (issue 15): mean precision and mean recall (R and Rseq) ≥ 0.99 both as typed and marks stripped;
every reordering selects the same set (Jaccard 1.0); newest P@10 ≥ 0.98; names P@10 ≥ 0.95.

The report goes to bench/RESULTS_precision.md (--quick: 2,000 articles and the queries marked
`quick`, reported under bench/work/precision-quick/); every set and truth, with examples of
wrongly selected and missed articles, goes to details.json beside the index.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from common import (  # noqa: E402
    CORPORA, NEWS_CORPORA, REPO, WORK, corpus_fingerprint, git_head, load_news, log, machine,
    proportional_sample, write_jsonl_gz,
)
from search.analysis import SYLLABLE  # noqa: E402
from search.text import FOLD_TABLE, fold_accents, has_accents, normalize, to_nfc  # noqa: E402

QUERIES_FILE = REPO / "bench" / "precision_queries.json"
RESULTS_MD = REPO / "bench" / "RESULTS_precision.md"
ROOT = WORK / "precision"
QUICK_ROOT = WORK / "precision-quick"
DEFAULT_SIZE = 20_000
QUICK_SIZE = 2_000
SEED = 7
SHARD_SIZE = 1000
PROCS = 2
FORMS = ("typed", "stripped")
FORM_TITLES = {"typed": "as typed", "stripped": "marks stripped"}
TARGETS = {"precision": 0.99, "recall": 0.99, "jaccard": 1.0, "newest_p10": 0.98, "names_p10": 0.95}
EXAMPLES = 5  # wrongly selected and missed articles kept per query in details.json


# ================================================================ truths

@dataclass(frozen=True)
class QuerySyllable:
    text: str  # normalised
    marked: bool  # typed with a mark: matches exactly; else every syllable that folds to it


def strip_marks(text: str) -> str:
    """The query as typed without any mark: "Đà Nẵng" → "Da Nang"."""
    return fold_accents(to_nfc(text))


def query_syllables(text: str) -> tuple[QuerySyllable, ...]:
    return tuple(QuerySyllable(s, has_accents(s)) for s in SYLLABLE.findall(normalize(text)))


def article_syllables(text: str) -> list[str]:
    """The normalised syllables of an article's title or text, in order."""
    return SYLLABLE.findall(normalize(text))


def _folds_to() -> dict[str, str]:
    """Each unmarked letter → a regex class of every letter that folds to it (u → [uúùủũụư…])."""
    sources: dict[str, set[str]] = defaultdict(set)
    for code, target in FOLD_TABLE.items():
        if target:
            sources[target].add(chr(code))
    return {target: "[" + re.escape(target) + "".join(re.escape(c) for c in sorted(chars)) + "]"
            for target, chars in sources.items()}


_FOLDS_TO = _folds_to()


def _syllable_regex(syllable: QuerySyllable) -> str:
    if syllable.marked:
        return re.escape(syllable.text)
    return "".join(_FOLDS_TO.get(c, re.escape(c)) for c in syllable.text)


@lru_cache(maxsize=4096)
def sequence_pattern(word: str) -> re.Pattern:
    """The word's syllables side by side in normalised text: whole syllables, consecutive in the
    syllable stream (anything that is not a letter or digit may lie between them)."""
    body = r"[\W_]+".join(_syllable_regex(s) for s in query_syllables(word))
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])")


def syllable_matches(query: QuerySyllable, article_syllable: str) -> bool:
    if query.marked:
        return article_syllable == query.text
    return fold_accents(article_syllable) == query.text


def holds_every_syllable(query: str, title: str, text: str) -> bool:
    """The precision truth for one article: every syllable of `query` in its title or text."""
    present = set(article_syllables(title)) | set(article_syllables(text))
    return all(any(syllable_matches(q, s) for s in present) for q in query_syllables(query))


def holds_sequence(word: str, title: str, text: str) -> bool:
    pattern = sequence_pattern(word)
    return bool(pattern.search(normalize(title)) or pattern.search(normalize(text)))


def holds_every_word(words: Sequence[str], title: str, text: str) -> bool:
    """The recall truth for one article: every word side by side in its title or text."""
    return all(holds_sequence(w, title, text) for w in words)


class Truths:
    """P, R and name sets over a whole collection, by postings of normalised syllables (the
    same answers as holds_every_syllable / holds_every_word, article by article)."""

    def __init__(self, articles: Iterable[tuple[str, str, str]]):
        self.ids: list[str] = []
        self.fields: list[tuple[str, str]] = []  # normalised title, text
        postings: dict[str, list[int]] = defaultdict(list)
        for number, (article_id, title, text) in enumerate(articles):
            title, text = normalize(title or ""), normalize(text or "")
            self.ids.append(article_id)
            self.fields.append((title, text))
            for syllable in set(SYLLABLE.findall(title)) | set(SYLLABLE.findall(text)):
                postings[syllable].append(number)
        self.postings = dict(postings)
        self.by_folded: dict[str, list[str]] = defaultdict(list)  # folded → its spellings in the articles
        for syllable in self.postings:
            self.by_folded[fold_accents(syllable)].append(syllable)
        self.number = {article_id: n for n, article_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def spellings(self, syllable: QuerySyllable) -> list[str]:
        """The article syllables a query syllable matches."""
        if syllable.marked:
            return [syllable.text] if syllable.text in self.postings else []
        return self.by_folded.get(syllable.text, [])

    def _with_syllable(self, syllable: QuerySyllable) -> set[int]:
        out: set[int] = set()
        for spelling in self.spellings(syllable):
            out.update(self.postings[spelling])
        return out

    def precision_set(self, query: str) -> set[int]:
        sylls = query_syllables(query)
        if not sylls:
            return set()
        sets = sorted((self._with_syllable(s) for s in sylls), key=len)
        return set.intersection(*sets)

    def recall_set(self, words: Sequence[str]) -> set[int]:
        candidates = self.precision_set(" ".join(words))
        patterns = [sequence_pattern(w) for w in words]
        return {n for n in candidates
                if all(p.search(self.fields[n][0]) or p.search(self.fields[n][1]) for p in patterns)}

    def occurs(self, word: str) -> bool:
        """Does any article hold the word side by side with its marks folded, so that a
        vocabulary built from these articles could hold it as a word?"""
        folded = strip_marks(word)
        pattern = sequence_pattern(folded)
        return any(pattern.search(self.fields[n][0]) or pattern.search(self.fields[n][1])
                   for n in self.precision_set(folded))

    def words_found(self, words: Sequence[str]) -> tuple[str, ...]:
        """The words as authored, except that a word no article holds side by side (even folded)
        is cut into its longest runs that some article does hold: no vocabulary of this
        collection can group it whole."""
        out: list[str] = []
        for word in words:
            sylls = [s.text for s in query_syllables(word)]
            if len(sylls) == 1 or self.occurs(word):
                out.append(word)
                continue
            start = 0
            while start < len(sylls):
                end = next(e for e in range(len(sylls), start, -1)
                           if e == start + 1 or self.occurs(" ".join(sylls[start:e])))
                out.append(" ".join(sylls[start:end]))
                start = end
        return tuple(out)

    def why_not_precise(self, number: int, query: str) -> str:
        """What a wrongly selected article has instead of the typed syllables: "bão→báo,bảo"."""
        title, text = self.fields[number]
        present = set(SYLLABLE.findall(title)) | set(SYLLABLE.findall(text))
        reasons = []
        for syllable in query_syllables(query):
            if any(syllable_matches(syllable, s) for s in present):
                continue
            folded = fold_accents(syllable.text)
            instead = sorted(s for s in present if fold_accents(s) == folded)
            reasons.append(f"{syllable.text}→{','.join(instead) if instead else '∅'}")
        return " ".join(reasons)

    def context(self, number: int, word: str, width: int = 40) -> str:
        """Where the word stands in the article, for the report: "…cơn bão lũ ở miền…"."""
        for part in self.fields[number]:
            found = sequence_pattern(word).search(part)
            if found:
                start, end = max(0, found.start() - width), min(len(part), found.end() + width)
                return "…" + " ".join(part[start:end].split()) + "…"
        return ""


# ================================================================ queries

@dataclass(frozen=True)
class Query:
    q: str
    words: tuple[str, ...]
    kind: str
    reorder: bool = False
    name: bool = False
    quick: bool = False

    def form(self, form: str) -> "Query":
        if form == "typed":
            return self
        return Query(strip_marks(self.q), tuple(strip_marks(w) for w in self.words), self.kind,
                     self.reorder, self.name, self.quick)

    def reorderings(self) -> list[tuple[str, ...]]:
        """Every other order of the words, each word kept whole."""
        if not self.reorder:
            return []
        return [p for p in itertools.permutations(self.words) if p != self.words]


def load_queries(path: Path = QUERIES_FILE) -> list[Query]:
    queries = []
    for item in json.loads(path.read_text(encoding="utf-8"))["queries"]:
        query = Query(item["q"], tuple(item["words"]), item["kind"], bool(item.get("reorder")),
                      bool(item.get("name")), bool(item.get("quick")))
        joined = tuple(s for w in query.words for s in query_syllables(w))
        if joined != query_syllables(query.q):
            raise ValueError(f"{path.name}: the words of {query.q!r} are not its syllables in order")
        queries.append(query)
    return queries


def variant_queries(queries: Sequence[Query]) -> list[str]:
    """Queries holding a known abbreviation or variant (search/data/abbreviations.txt): the
    engine may also select articles with another spelling, which these truths do not count."""
    from search.synonyms import find_variants

    return [q.q for q in queries if find_variants([s.text for s in query_syllables(q.q)])]


# ================================================================ corpus and index

def search_key() -> str:
    """The git tree of search/, plus a hash of its files when they differ from HEAD."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()

    try:
        tree = git("rev-parse", "HEAD:search")
        dirty = git("status", "--porcelain", "--", "search")
    except (OSError, subprocess.CalledProcessError):
        tree, dirty = "no-git", "unknown"
    if not dirty:
        return tree
    digest = hashlib.sha1()
    for path in sorted((REPO / "search").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{tree}+{digest.hexdigest()[:12]}"


def _corpora_stamp(corpora: Path) -> dict:
    stamp = {}
    for name in NEWS_CORPORA:
        st = (corpora / name / "docs.jsonl.gz").stat()
        stamp[name] = f"{st.st_size}:{st.st_mtime_ns}"
    return stamp


@dataclass
class Collection:
    root: Path
    source: Path
    index: Path
    sampled: int
    by_corpus: dict[str, int]
    fingerprint: str
    search_key: str
    built: bool  # rebuilt in this run (else reused)
    build_seconds: float
    indexed: int
    duplicates: int
    skipped: int


def prepare_source(root: Path, size: int, corpora: Path) -> dict:
    """The sample written as shards under root/source (reused when the same sample is there)."""
    source = root / "source"
    layout = root / "layout.json"
    wanted = {"size": size, "seed": SEED, "corpora": _corpora_stamp(corpora), "shard_size": SHARD_SIZE}
    try:
        stamp = json.loads(layout.read_text())
        if {k: stamp.get(k) for k in wanted} == wanted and source.is_dir():
            return stamp
    except (OSError, ValueError):
        pass
    log(f"sampling {size} articles from {', '.join(NEWS_CORPORA)} (seed {SEED})")
    docs = proportional_sample(load_news(corpora), size, seed=SEED)
    shutil.rmtree(root, ignore_errors=True)
    for number, start in enumerate(range(0, len(docs), SHARD_SIZE)):
        write_jsonl_gz(source / f"shard-{number:04d}.jsonl.gz", docs[start:start + SHARD_SIZE])
    stamp = dict(wanted, fingerprint=corpus_fingerprint(docs), sampled=len(docs),
                 by_corpus=dict(Counter(d["corpus"] for d in docs)))
    layout.write_text(json.dumps(stamp, indent=1))
    return stamp


def prepare_index(root: Path, size: int, corpora: Path, force: bool, reuse: bool) -> Collection:
    from search import rebuild

    layout = prepare_source(root, size, corpora)
    key = search_key()
    index, stamp_path = root / "index", root / "index.json"
    try:
        stamp = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        stamp = {}
    fresh = stamp.get("fingerprint") == layout["fingerprint"] and (index / "current").exists()
    if fresh and not force and (reuse or stamp.get("search") == key):
        if stamp.get("search") != key:
            log(f"reusing an index built with search/ at {stamp.get('search')} (now {key})")
        built, seconds = False, stamp["seconds"]
    else:
        log(f"indexing {layout['sampled']} articles with search.rebuild(procs={PROCS}) into {index}")
        shutil.rmtree(index, ignore_errors=True)
        summary = rebuild(root / "source", index, procs=PROCS)
        log(summary.line())
        stamp = {"fingerprint": layout["fingerprint"], "search": key, "seconds": round(summary.seconds, 1),
                 "indexed": summary.indexed, "duplicates": summary.duplicates, "skipped": len(summary.skipped)}
        stamp_path.write_text(json.dumps(stamp, indent=1))
        built, seconds = True, summary.seconds
    return Collection(root, root / "source", index, layout["sampled"], layout["by_corpus"], layout["fingerprint"],
                      stamp["search"], built, seconds, stamp["indexed"], stamp["duplicates"], stamp["skipped"])


def prepare_cluster(root: Path, size: int, corpora: Path, url: str) -> Collection:
    """The same sample on OpenSearch (search/opensearch/): rebuilt into alias bench-precision-<size>."""
    from search.opensearch.build import rebuild
    from search.opensearch.connection import split_url

    layout = prepare_source(root, size, corpora)
    target = f"{split_url(url)[0]}/bench-precision-{size}"
    log(f"indexing {layout['sampled']} articles with search.opensearch.build.rebuild(procs={PROCS}) into {target}")
    summary = rebuild(root / "source", target, procs=PROCS)
    log(summary.line())
    return Collection(root, root / "source", target, layout["sampled"], layout["by_corpus"], layout["fingerprint"],
                      search_key(), True, summary.seconds, summary.indexed, summary.duplicates, len(summary.skipped))


# ================================================================ engine

@dataclass
class EngineRun:
    text: str
    ids: list[str]  # the whole result set, in relevance order
    total: int
    matching: str | None
    accents: str | None
    first_page: list[str]  # by relevance
    newest: list[str]  # first page by sort=newest
    seconds: float


def run_engine(index, text: str) -> EngineRun:
    from search.requests import SearchRequest

    started = time.perf_counter()
    first = index.search(SearchRequest(q=text))
    ids = [article.id for article in index.export(SearchRequest(q=text))]
    newest = index.search(SearchRequest(q=text, sort="newest"))
    return EngineRun(text, ids, first.total, getattr(first, "matching", None), getattr(first, "accents", None),
                     [h.id for h in first.hits], [h.id for h in newest.hits], time.perf_counter() - started)


def indexed_articles(index) -> Iterable[tuple[str, str, str]]:
    """Every indexed article as the engine stores it: the export of the empty query (with
    republished copies listed one by one, should the engine learn to group them)."""
    from dataclasses import fields

    from search.requests import SearchRequest

    every = {"collapse": False} if "collapse" in {f.name for f in fields(SearchRequest)} else {}
    for article in index.export(SearchRequest(q="", **every)):
        yield article.id, article.title, article.text


# ================================================================ scoring

def share_in(ids: Sequence[str], truth: set[int], truths: Truths) -> float:
    if not ids:
        return 1.0
    return sum(truths.number[i] in truth for i in ids) / len(ids)


@dataclass
class Scored:
    query: Query  # in this form
    form: str
    run: EngineRun
    selected: int
    p_size: int
    r_size: int
    precision: float | None  # None: a fallback SPEC allows (R empty, matching "any")
    recall: float
    seq_size: int  # |Rseq|: the whole query side by side
    recall_seq: float
    fallback: bool
    newest_p10: float | None
    names_p10: float | None
    n_size: int | None = None  # names: |N|
    imprecise: Counter = field(default_factory=Counter)  # why_not_precise → hits
    wrong_examples: list[dict] = field(default_factory=list)
    missed_examples: list[dict] = field(default_factory=list)
    odd: list[str] = field(default_factory=list)
    words: tuple[str, ...] = ()  # the words R was computed with (Truths.words_found)
    notes: list[str] = field(default_factory=list)  # how the query was judged, when not plainly
    typed: str = ""  # the query as authored, for the stripped form's rows
    not_in_stripped: int = 0  # typed form: its results missing from the stripped form's

    @property
    def label(self) -> str:
        return self.query.q if self.query.q == self.typed or not self.typed else f"{self.query.q} ← {self.typed}"

    @property
    def worst(self) -> float:
        return min(1.0 if v is None else v
                   for v in (self.precision, self.recall, self.recall_seq, self.newest_p10, self.names_p10))


def score(shown: Query, form: str, run: EngineRun, truths: Truths) -> Scored:
    """The query's result set against its truths (see the module's docstring for the rules)."""
    selected = [truths.number[i] for i in run.ids if i in truths.number]
    chosen = set(selected)
    notes = []
    query = shown
    words = truths.words_found(query.words)
    if words != query.words:
        notes.append(f"words {' | '.join(query.words)} → {' | '.join(words)} (not all found side by side)")
    if run.accents == "ignored" and form == "typed" and any(s.marked for s in query_syllables(query.q)):
        if truths.recall_set(words):
            notes.append("marks ignored although articles hold every word with the typed marks")
        else:  # SPEC §4: nothing with the typed marks, run again without them; judged as such
            notes.append("marks ignored (allowed: no article holds every word with the typed marks)")
            query = query.form("stripped")
            words = truths.words_found(query.words)
    precise = truths.precision_set(query.q)
    complete = truths.recall_set(words)
    fallback = not complete and run.matching == "any"
    precision = None if fallback else 1.0 if not chosen else len(chosen & precise) / len(chosen)
    recall = 1.0 if not complete else len(chosen & complete) / len(complete)
    newest = None if fallback else share_in(run.newest, precise, truths)
    sequence = truths.recall_set([query.q])
    recall_seq = 1.0 if not sequence else len(chosen & sequence) / len(sequence)
    names = named = None
    if query.name:
        named, k = len(sequence), min(10, len(sequence))
        names = 1.0 if not k else sum(truths.number[i] in sequence for i in run.first_page[:k]) / k
    scored = Scored(shown, form, run, len(chosen), len(precise), len(complete), precision, recall, len(sequence),
                    recall_seq, fallback, newest, names, named, words=words, notes=notes)
    wrong = [n for n in selected if n not in precise]
    for n in wrong:
        scored.imprecise[truths.why_not_precise(n, query.q)] += 1
    scored.wrong_examples = [{"id": truths.ids[n], "title": truths.fields[n][0][:120],
                              "why": truths.why_not_precise(n, query.q)} for n in wrong[:EXAMPLES]]
    missed = sorted(complete - chosen)
    scored.missed_examples = [{"id": truths.ids[n], "title": truths.fields[n][0][:120],
                               "held": [truths.context(n, w) for w in words]} for n in missed[:EXAMPLES]]
    if len(run.ids) != run.total:
        scored.odd.append(f"export gave {len(run.ids)} articles, search said total {run.total}")
    if len(set(run.ids)) != len(run.ids):
        scored.odd.append(f"export repeats {len(run.ids) - len(set(run.ids))} ids")
    if run.ids[:len(run.first_page)] != run.first_page:
        scored.odd.append("export's order differs from the first page by relevance")
    unknown = [i for i in run.ids if i not in truths.number]
    if unknown:
        scored.odd.append(f"{len(unknown)} ids not in the empty query's export")
    return scored


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    a, b = set(a), set(b)
    return 1.0 if not a and not b else len(a & b) / len(a | b)


@dataclass
class Reordered:
    query: Query  # the authored query, in this form
    form: str
    order: tuple[str, ...]
    scored: Scored
    jaccard: float


def mean(values: Iterable[float | None]) -> float:
    """The mean of the defined values (None: not applicable)."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else float("nan")


# ================================================================ report

def _f(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.3f}"  # None or NaN: nothing measured


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def summary_rows(scored: dict[str, list[Scored]], reordered: list[Reordered]) -> dict[str, dict]:
    out = {}
    for form in FORMS:
        rows = scored[form]
        names = [s.names_p10 for s in rows if s.names_p10 is not None]
        pairs = [r.jaccard for r in reordered if r.form == form]
        out[form] = {
            "queries": len(rows),
            "precision": mean([s.precision for s in rows]),
            "recall": mean([s.recall for s in rows]),
            "recall_seq": mean([s.recall_seq for s in rows]),
            "newest_p10": mean([s.newest_p10 for s in rows]),
            "names_p10": mean(names),
            "names": len(names),
            "jaccard_pairs": len(pairs),
            "jaccard_exact": sum(j == 1.0 for j in pairs),
            "jaccard_min": min(pairs) if pairs else 1.0,
            "jaccard_mean": mean(pairs) if pairs else 1.0,
            "any": sum(s.run.matching == "any" for s in rows),
            "fallbacks": sum(s.fallback for s in rows),
        }
    return out


def verdicts(summary: dict[str, dict]) -> list[str]:
    lines = []
    for form in FORMS:
        s = summary[form]
        for metric, label in (("precision", "mean precision"), ("recall", "mean recall"),
                              ("recall_seq", "mean recall of the typed sequence (Rseq)"),
                              ("newest_p10", "newest-first precision@10"), ("names_p10", "names' precision@10")):
            ok = s[metric] >= TARGETS[metric.removesuffix("_seq")]  # NaN (nothing to measure) fails
            lines.append(f"- {'PASS' if ok else 'FAIL'}: {label}, {FORM_TITLES[form]}: {s[metric]:.3f} "
                         f"(target ≥ {TARGETS[metric.removesuffix('_seq')]})")
        ok = s["jaccard_exact"] == s["jaccard_pairs"]
        lines.append(f"- {'PASS' if ok else 'FAIL'}: reordered words select the same set, {FORM_TITLES[form]}: "
                     f"{s['jaccard_exact']}/{s['jaccard_pairs']} orders at Jaccard 1.0, min {s['jaccard_min']:.3f} "
                     f"(target: all 1.0)")
    return lines


def render(args, command: str, collection: Collection, scored: dict[str, list[Scored]],
           reordered: list[Reordered], variants: list[str], timings: dict, head: str | None,
           truths_titles: dict[str, str]) -> str:
    summary = summary_rows(scored, reordered)
    info = machine()
    label = f" — {args.label}" if args.label else ""
    corpora = ", ".join(f"{name} {collection.by_corpus.get(name, 0):,}" for name in NEWS_CORPORA)
    lines = [
        f"# Precision benchmark (issue 15){label}",
        "",
        f"- label: **{args.label}, commit {head}**" if args.label else f"- commit: {head}",
        f"- date: {datetime.now(timezone.utc).astimezone().isoformat(timespec='seconds')}",
        f"- command: `{command}`",
        f"- machine: {info['usable_cpus']} CPUs ({info['cpu']}), {info.get('memory_gib', '?')} GiB, "
        f"{info['platform']}, Python {info['python']}; load average at start {info['loadavg_at_start']}",
        f"- git head: {head}; search/ tree {collection.search_key}",
        f"- corpus: {collection.sampled:,} articles sampled (seed {SEED}: {corpora}), "
        f"{collection.indexed:,} indexed ({collection.duplicates} republished copies, {collection.skipped} skipped); "
        f"fingerprint {collection.fingerprint}",
        f"- index: {'built in this run' if collection.built else 'reused'} "
        f"(`search.rebuild(procs={PROCS})`, {collection.build_seconds:.0f} s when built)",
        f"- wall time: {timings['total']:.0f} s (index {timings['index']:.0f} s, truths {timings['truths']:.0f} s, "
        f"queries {timings['queries']:.0f} s)",
        f"- queries: {len(scored['typed'])} from `{args.queries.relative_to(REPO) if args.queries.is_relative_to(REPO) else args.queries}`, "
        f"each as typed and with marks stripped, plus {len(reordered) // 2} reorderings of each form",
        "",
        "## Definitions",
        "",
        "Articles are read back from the index (the export of the empty query); titles, texts and",
        "queries go through `search.text.normalize` and are cut into syllables by",
        "`search.analysis.SYLLABLE`. A query syllable with any mark (đ included) matches exactly, one",
        "without marks matches every syllable that folds to it. S = the engine's whole result set",
        "(`SearchIndex.export`, user defaults).",
        "",
        "- **P** (precision truth): every syllable of the query in the title or the text.",
        "- **R** (recall truth): every word of the query (as grouped in the queries file, coarsest",
        "  reasonable grouping, e.g. `bão lũ | miền Trung`) with its syllables side by side (consecutive",
        "  syllables of the title or of the text; punctuation between them skipped), words in any order.",
        "  A word that no article holds side by side, even folded, is cut into its longest runs that",
        "  some article holds (no vocabulary of this collection could group it whole).",
        "- **Rseq** (the strictest reading): the whole query side by side, in the typed order. SPEC §5:",
        "  \"whatever the split\", these are always selected. Rseq ⊆ R ⊆ P.",
        "- precision = |S∩P|/|S| (1 when S is empty); recall = |S∩R|/|R| (1 when R is empty), the same",
        "  for Rseq. When R is",
        "  empty and the engine fell back to any word (`matching: any`), a fallback SPEC §5 allows, precision",
        "  and newest P@10 are n/a and left out of the means. When the engine says it ignored the typed",
        "  marks (`accents: ignored`) and no article holds every word with them (SPEC §4), the query is",
        "  judged against the truths of its stripped form.",
        "- newest P@10: share of the first 10 hits by `sort=newest` in P.",
        "- names P@10: N = articles holding the whole name side by side; share of the first k = min(10, |N|)",
        "  hits by relevance that are in N.",
        "- Jaccard: |S(q) ∩ S(q')| / |S(q) ∪ S(q')| for q' every other order of q's words.",
        "",
        "## Targets",
        "",
        *verdicts(summary),
        "",
        "## Summary",
        "",
        "| form | queries | mean precision | mean recall | mean recall (Rseq) | newest P@10 | names P@10 | reorderings at Jaccard 1.0 | min Jaccard | any-word results (allowed fallbacks) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for form in FORMS:
        s = summary[form]
        lines.append(f"| {FORM_TITLES[form]} | {s['queries']} | {s['precision']:.3f} | {s['recall']:.3f} | "
                     f"{s['recall_seq']:.3f} | "
                     f"{s['newest_p10']:.3f} | {s['names_p10']:.3f} ({s['names']}) | "
                     f"{s['jaccard_exact']}/{s['jaccard_pairs']} | {s['jaccard_min']:.3f} | {s['any']} ({s['fallbacks']}) |")
    lines += ["", "Means are over the queries of each form; precision and newest P@10 leave out the allowed",
              "fallbacks (R empty and `matching: any`), names P@10 is over the names only. The stripped form",
              "of several typed queries is the same query (bão, báo, bảo, bao → bao): each counts once per",
              "authored query."]
    looser = [s for s in scored["typed"] if s.not_in_stripped]
    lines += ["", f"Marks only narrow a query, so every result as typed should also be a result with marks stripped: "
              f"{len(looser)} of {len(scored['typed'])} queries break this"
              + (": " + ", ".join(f"`{_md(s.query.q)}` ({s.not_in_stripped:,} of {s.selected:,})" for s in looser)
                 if looser else "") + "."]

    kinds = list(dict.fromkeys(s.query.kind for s in scored["typed"]))
    lines += ["", "Mean precision / recall by kind of query:", "",
              "| kind | queries | " + " | ".join(f"precision {FORM_TITLES[f]} | recall {FORM_TITLES[f]}" for f in FORMS) + " |",
              "|---|---:|" + "---:|" * (2 * len(FORMS))]
    for kind in kinds:
        cells = []
        for form in FORMS:
            rows = [s for s in scored[form] if s.query.kind == kind]
            cells += [_f(mean(s.precision for s in rows)), _f(mean(s.recall for s in rows))]
        count = sum(s.query.kind == kind for s in scored["typed"])
        lines.append(f"| {kind} | {count} | " + " | ".join(cells) + " |")

    worst = sorted(((s.worst, s.form, i, s) for form in FORMS for i, s in enumerate(scored[form])),
                   key=lambda t: (t[0], t[2], t[1]))
    lines += ["", "## Worst queries", "",
              "Lowest of precision, recall (R or Rseq), newest P@10 and names P@10, either form; why, from the truths",
              "(`bão→báo,bảo`: a wrongly selected article lacks `bão` and holds `báo`, `bảo` instead; `∅`: not even",
              "its folded form).", ""]
    for value, form, _, s in [w for w in worst if w[0] < 1.0][:8]:
        reasons = ", ".join(f"`{r or '?'}` ×{n}" for r, n in s.imprecise.most_common(4))
        lines.append(f"- `{_md(s.label)}` ({FORM_TITLES[form]}): precision {_f(s.precision)}, recall {s.recall:.3f}, "
                     f"recall (Rseq) {s.recall_seq:.3f}, "
                     f"newest P@10 {_f(s.newest_p10)}"
                     + (f", names P@10 {s.names_p10:.2f} (|N| {s.n_size:,})" if s.names_p10 is not None else "")
                     + f"; |S| {s.selected:,}, |P| {s.p_size:,}, |R| {s.r_size:,}, |Rseq| {s.seq_size:,}, "
                     f"matching {s.run.matching}; words {' | '.join(s.words)}."
                     + "".join(f" {_md(n)}." for n in s.notes))
        if reasons:
            lines.append(f"  Wrongly selected, by what they hold instead: {reasons}.")
        if s.names_p10 is not None and s.names_p10 < 1.0 and s.run.first_page:
            top = truths_titles.get(s.run.first_page[0], "")
            lines.append(f"  First hit by relevance: `{_md(s.run.first_page[0])}` “{_md(top)}”.")
        if s.missed_examples:
            example = s.missed_examples[0]
            lines.append(f"  Missed {s.r_size - round(s.recall * s.r_size)} of R, e.g. `{_md(example['id'])}`: "
                         + "; ".join(_md(h) for h in example["held"]) + ".")

    for form in FORMS:
        lines += ["", f"## Per query, {FORM_TITLES[form]}", "",
                  "| query | kind | \\|S\\| | \\|P\\| | \\|R\\| | \\|Rseq\\| | precision | recall | recall (Rseq) | matching | accents | newest P@10 | names P@10 | wrongly selected mostly | notes |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|---|"]
        for s in scored[form]:
            reason = ", ".join(f"{r or '?'} ×{n}" for r, n in s.imprecise.most_common(2))
            matching = (s.run.matching or "–") + (" (allowed fallback)" if s.fallback else "")
            names = "–" if s.names_p10 is None else f"{s.names_p10:.3f} (\\|N\\| {s.n_size:,})"
            lines.append(f"| {_md(s.label)} | {s.query.kind} | {s.selected:,} | {s.p_size:,} | {s.r_size:,} | "
                         f"{s.seq_size:,} | {_f(s.precision)} | {s.recall:.3f} | {s.recall_seq:.3f} | {matching} | "
                         f"{s.run.accents or '–'} | "
                         f"{_f(s.newest_p10)} | {names} | {_md(reason)} | {_md('; '.join(s.notes))} |")

    lines += ["", "## Reordered words", "",
              "Each other order of a query's words against the query itself (same form).", "",
              "| query | form | order | \\|S\\| of query | \\|S\\| of order | Jaccard | precision | recall | recall (Rseq) |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    base = {(s.form, s.query.q): s for form in FORMS for s in scored[form]}
    for r in reordered:
        own = base[(r.form, r.query.q)]
        lines.append(f"| {_md(r.query.q)} | {FORM_TITLES[r.form]} | {_md(r.scored.query.q)} | {own.selected:,} | "
                     f"{r.scored.selected:,} | {r.jaccard:.3f} | {_f(r.scored.precision)} | {r.scored.recall:.3f} | "
                     f"{r.scored.recall_seq:.3f} |")

    for form in FORMS:
        rows = [r.scored for r in reordered if r.form == form]
        if rows:
            lines.append(f"\nReorderings {FORM_TITLES[form]}: mean precision {_f(mean(s.precision for s in rows))}, "
                         f"recall {_f(mean(s.recall for s in rows))}, recall (Rseq) {_f(mean(s.recall_seq for s in rows))} "
                         f"over {len(rows)} orders.")

    notes = sorted({(FORM_TITLES[s.form], s.query.q, o) for form in FORMS for s in scored[form] for o in s.odd}
                   | {(FORM_TITLES[r.form], r.scored.query.q, o) for r in reordered for o in r.scored.odd})
    lines += ["", "## Consistency of the engine's answers", ""]
    if variants:
        lines.append(f"- queries holding a known abbreviation or variant (the truths ignore variants): {', '.join(variants)}")
    if notes:
        lines += [f"- `{_md(q)}` ({form}): {o}" for form, q, o in notes]
    else:
        lines.append("- for every query the export held exactly `total` distinct articles, all of them indexed, "
                     "in the order of the first page by relevance.")
    return "\n".join(lines) + "\n"


def write_details(path: Path, scored: dict[str, list[Scored]], reordered: list[Reordered]) -> None:
    def one(s: Scored) -> dict:
        return {"q": s.query.q, "form": s.form, "words": s.query.words, "selected": s.selected, "P": s.p_size,
                "R": s.r_size, "Rseq": s.seq_size, "N": s.n_size, "fallback": s.fallback, "precision": s.precision,
                "recall": s.recall, "recall_seq": s.recall_seq, "matching": s.run.matching,
                "not_in_stripped": s.not_in_stripped,
                "accents": s.run.accents, "newest_p10": s.newest_p10, "names_p10": s.names_p10,
                "imprecise": dict(s.imprecise.most_common()), "wrong_examples": s.wrong_examples,
                "missed_examples": s.missed_examples, "odd": s.odd, "first_page": s.run.first_page,
                "newest": s.run.newest, "seconds": round(s.run.seconds, 3)}

    doc = {"queries": [one(s) for form in FORMS for s in scored[form]],
           "reordered": [dict(one(r.scored), of=r.query.q, jaccard=r.jaccard) for r in reordered]}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


# ================================================================ main

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=None, help=f"articles sampled (default {DEFAULT_SIZE:,})")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_SIZE:,} articles and the queries marked quick: a smoke test")
    parser.add_argument("--queries", type=Path, default=QUERIES_FILE)
    parser.add_argument("--label", default="", help='what the run measures, e.g. "before issue 15"')
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--rebuild", action="store_true", help="index anew even when the kept index fits")
    group.add_argument("--reuse", action="store_true", help="use the kept index even if search/ changed since")
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--backend", choices=("embedded", "opensearch"), default="embedded",
                        help="the engine measured: the embedded index, or OpenSearch (needs --opensearch)")
    parser.add_argument("--opensearch", default=os.environ.get("VNSEARCH_OPENSEARCH"),
                        help="an OpenSearch URL for --backend opensearch")
    parser.add_argument("--out", type=Path, default=None, help="default: bench/RESULTS_precision.md")
    return parser.parse_args(argv)


@dataclass
class PhraseRow:
    q: str
    form: str
    selected: int
    truth: int
    precision: float
    recall: float
    accents: str | None


def quoted_phrases(queries: Sequence[Query], index, truths: Truths) -> list[PhraseRow]:
    """Each query of two or more syllables quoted, as typed and stripped: the engine's whole set
    against the articles holding it side by side in order (each syllable exact where marked).
    When the engine says it ignored the marks (nothing holds them), the stripped truth counts."""
    from search.requests import SearchRequest

    rows = []
    for authored in queries:
        for form in FORMS:
            q = authored.form(form).q
            if len(query_syllables(q)) < 2:
                continue
            result = index.search(SearchRequest(q=f'"{q}"', size=1))
            got = {truths.number[a.id] for a in index.export(SearchRequest(q=f'"{q}"')) if a.id in truths.number}
            accents = getattr(result, "accents", None)
            truth = truths.recall_set([strip_marks(q) if accents == "ignored" else q])
            hit = len(got & truth)
            rows.append(PhraseRow(q, form, len(got), len(truth), hit / len(got) if got else 1.0,
                                  hit / len(truth) if truth else 1.0, accents))
    return rows


def render_phrases(rows: Sequence[PhraseRow]) -> str:
    if not rows:
        return ""
    lines = ["", "## Quoted phrases", "",
             "Each query of two or more syllables in quotes (`\"giá xăng\"`): the whole result set against the",
             "articles holding the phrase side by side in order, each syllable exact where typed with marks.", ""]
    for form in FORMS:
        mine = [r for r in rows if r.form == form]
        if mine:
            lines.append(f"- {form}: {len(mine)} phrases, mean precision {mean(r.precision for r in mine):.3f}, "
                         f"mean recall {mean(r.recall for r in mine):.3f}, exact sets "
                         f"{sum(r.precision == 1.0 and r.recall == 1.0 for r in mine)}/{len(mine)}")
    lines += ["", "| phrase | form | \\|S\\| | \\|truth\\| | precision | recall | accents |", "|---|---|---:|---:|---:|---:|---|"]
    lines += [f"| {_md(r.q)} | {r.form} | {r.selected} | {r.truth} | {r.precision:.3f} | {r.recall:.3f} | {r.accents} |"
              for r in rows if r.precision < 1.0 or r.recall < 1.0]
    if all(r.precision == 1.0 and r.recall == 1.0 for r in rows):
        lines.append("| (every phrase's set is exactly its truth) | | | | | | |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    from search import open_index

    args = parse_args(argv)
    started = time.perf_counter()
    command = "python bench/precision.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    size = args.size or (QUICK_SIZE if args.quick else DEFAULT_SIZE)
    base = QUICK_ROOT if args.quick else ROOT
    out = args.out or (base / "RESULTS_precision.md" if args.quick else RESULTS_MD)
    queries = load_queries(args.queries)
    if args.quick:
        queries = [q for q in queries if q.quick]
    head = git_head()

    if args.backend == "opensearch":
        if not args.opensearch:
            raise SystemExit("--backend opensearch needs --opensearch URL (or VNSEARCH_OPENSEARCH)")
        collection = prepare_cluster(base / f"corpus-{size}", size, args.corpora, args.opensearch)
    else:
        collection = prepare_index(base / f"corpus-{size}", size, args.corpora, args.rebuild, args.reuse)
    timings = {"index": time.perf_counter() - started}
    index = open_index(collection.index)
    mark = time.perf_counter()
    truths = Truths(indexed_articles(index))
    timings["truths"] = time.perf_counter() - mark
    log(f"truths over {len(truths):,} indexed articles in {timings['truths']:.0f} s")

    mark = time.perf_counter()
    runs: dict[str, EngineRun] = {}

    def engine(text: str) -> EngineRun:
        if text not in runs:
            runs[text] = run_engine(index, text)
        return runs[text]

    scored: dict[str, list[Scored]] = {form: [] for form in FORMS}
    reordered: list[Reordered] = []
    for number, authored in enumerate(queries, start=1):
        for form in FORMS:
            query = authored.form(form)
            s = score(query, form, engine(query.q), truths)
            s.typed = authored.q
            scored[form].append(s)
            for order in query.reorderings():
                other = Query(" ".join(order), order, query.kind, name=query.name)
                o = score(other, form, engine(other.q), truths)
                reordered.append(Reordered(query, form, order, o, jaccard(s.run.ids, o.run.ids)))
        typed, stripped = scored["typed"][-1], scored["stripped"][-1]
        typed.not_in_stripped = len(set(typed.run.ids) - set(stripped.run.ids))
        log(f"[{number}/{len(queries)}] {authored.q}: |S| {typed.selected} P {_f(typed.precision)} "
            f"R {typed.recall:.3f} | stripped |S| {stripped.selected} P {_f(stripped.precision)} R {stripped.recall:.3f}")
    phrases = quoted_phrases(queries, index, truths)
    timings["queries"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started

    firsts = {i for form in FORMS for s in scored[form] for i in s.run.first_page[:1]}
    titles = {i: truths.fields[truths.number[i]][0][:100] for i in firsts if i in truths.number}
    report = render(args, command, collection, scored, reordered, variant_queries(queries), timings, head, titles)
    report += render_phrases(phrases)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    write_details(collection.root / "details.json", scored, reordered)
    sys.stdout.write("\n".join(line for line in report.splitlines() if line.startswith(("- PASS", "- FAIL"))) + "\n")
    log(f"wrote {out} and {collection.root / 'details.json'} in {timings['total']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Relevance benchmark: our engine against simple baselines on Vietnamese retrieval sets.

    .venv/bin/python bench/relevance.py [--sets ...] [--systems ...] [--limit N] [--out FILE]

For each retrieval set (passages + dev questions with relevant passage ids) every system
indexes the passages (title + text), then answers every question twice: as typed and with
all diacritics stripped (đ → d). Reported per set × system × query form: MRR@10, Recall@10,
nDCG@10, plus averages over the sets. The same run scores the word segmentation of our
analyzer and of plain pyvi against a gold sample (UD Vietnamese-VTB).

Every system implements one small interface, `build(dataset, workdir)` then
`query(text, k) -> ranked passage ids`, so a variant is one more class in SYSTEMS.
Progress goes to stderr; the Markdown report to stdout and to --out.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import re
import shlex
import sqlite3
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # our engine's `search` package, also when not pip-installed
DEFAULT_CORPORA = Path(os.environ.get("VNSEARCH_CORPORA", REPO.parent / "shared" / "corpora"))
RETRIEVAL_SETS = ("viquad_retrieval", "zalo_wikiqa_retrieval", "vicov19qa_retrieval")
SEGMENTATION_SET = "wordseg_vtb_dev_sample"
K = 10
QUERY_FORMS = ("accented", "accentless")


# ---------------------------------------------------------------- data

@dataclass(frozen=True)
class Passage:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    relevant: frozenset[str]


@dataclass
class RetrievalSet:
    name: str
    passages_path: Path
    passages: list[Passage]
    questions: list[Question]


def read_jsonl_gz(path: Path) -> Iterable[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def load_retrieval_set(corpora: Path, name: str, limit: int | None = None) -> RetrievalSet:
    folder = corpora / name
    passages = [
        Passage(d["id"], d.get("title") or "", d.get("text") or "")
        for d in read_jsonl_gz(folder / "passages.jsonl.gz")
    ]
    questions = [
        Question(d["qid"], d["question"], frozenset(d["relevant_ids"]))
        for d in read_jsonl_gz(folder / "dev.jsonl.gz")
    ]
    return RetrievalSet(name, folder / "passages.jsonl.gz", passages, evenly_spaced(questions, limit))


def evenly_spaced(items: list, limit: int | None) -> list:
    """`limit` items spread evenly over the list (dev files group questions by passage)."""
    if limit is None or limit >= len(items):
        return items
    return [items[i * len(items) // limit] for i in range(max(limit, 0))]


# ---------------------------------------------------------------- text

_WORD = re.compile(r"\w+")


def strip_diacritics(text: str) -> str:
    """What a user without a Vietnamese keyboard types: every mark dropped, đ → d, Đ → D."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))


def syllables(text: str) -> list[str]:
    """Lower-cased `\\w+` runs of NFC text: Vietnamese syllables, numbers, foreign words."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def folded_syllables(text: str) -> list[str]:
    return syllables(strip_diacritics(text))


# ---------------------------------------------------------------- metrics

def reciprocal_rank(ranked: Sequence[str], relevant: frozenset[str] | set[str], k: int = K) -> float:
    for rank, doc_id in enumerate(ranked[:k], start=1):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def recall_at(ranked: Sequence[str], relevant: frozenset[str] | set[str], k: int = K) -> float:
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def ndcg_at(ranked: Sequence[str], relevant: frozenset[str] | set[str], k: int = K) -> float:
    """Binary-gain nDCG: gain 1 for each relevant id, discounted by log2(rank + 1)."""
    if not relevant:
        return 0.0
    seen: set[str] = set()
    dcg = 0.0
    for rank, doc_id in enumerate(ranked[:k], start=1):
        if doc_id in relevant and doc_id not in seen:
            seen.add(doc_id)
            dcg += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


@dataclass
class Scores:
    mrr: float = 0.0
    recall: float = 0.0
    ndcg: float = 0.0
    n: int = 0
    seconds: float = 0.0  # query time, all questions

    def add(self, ranked: Sequence[str], relevant: frozenset[str]) -> None:
        self.mrr += reciprocal_rank(ranked, relevant)
        self.recall += recall_at(ranked, relevant)
        self.ndcg += ndcg_at(ranked, relevant)
        self.n += 1

    def means(self) -> tuple[float, float, float]:
        n = self.n or 1
        return self.mrr / n, self.recall / n, self.ndcg / n


# ---------------------------------------------------------------- systems

class System:
    """A retrieval system: index a set's passages, then rank passage ids for a question."""

    name = "system"
    description = ""
    indexed: int | None = None  # passages the system reports as indexed, when it can tell


    def build(self, dataset: RetrievalSet, workdir: Path) -> None:
        raise NotImplementedError

    def query(self, text: str, k: int = K) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class BM25System(System):
    """Okapi BM25 over lower-cased `\\w+` syllables of title + text; the query is the OR of its distinct terms."""

    name = "bm25"
    description = "plain BM25 (k1 = 1.2, b = 0.75), lower-cased `\\w+` syllables, accents kept"

    def __init__(self, k1: float = 1.2, b: float = 0.75, tokenize: Callable[[str], list[str]] = syllables):
        self.k1, self.b, self.tokenize = k1, b, tokenize
        self.ids: list[str] = []
        # term -> (document numbers, idf, per-document tf part of the BM25 weight)
        self.postings: dict[str, tuple[np.ndarray, float, np.ndarray]] = {}

    def build(self, dataset: RetrievalSet, workdir: Path | None = None) -> None:
        self.index([(p.id, f"{p.title}\n{p.text}") for p in dataset.passages])

    def index(self, docs: Sequence[tuple[str, str]]) -> None:
        raw: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        lengths = []
        self.ids = [doc_id for doc_id, _ in docs]
        for number, (_, text) in enumerate(docs):
            terms = self.tokenize(text)
            lengths.append(len(terms))
            for term, tf in Counter(terms).items():
                numbers, tfs = raw[term]
                numbers.append(number)
                tfs.append(tf)
        average = (sum(lengths) / len(lengths) if lengths else 0.0) or 1.0
        # k1 * (1 - b + b * |d| / avgdl), per document
        norms = self.k1 * (1 - self.b + self.b * np.asarray(lengths, dtype=float) / average)
        self.postings = {}
        for term, (numbers, tfs) in raw.items():
            numbers_array, tf_array = np.asarray(numbers), np.asarray(tfs, dtype=float)
            weights = tf_array * (self.k1 + 1) / (tf_array + norms[numbers_array])
            self.postings[term] = (numbers_array, self.idf(len(numbers)), weights)

    def idf(self, df: int) -> float:
        # Lucene's BM25 idf: never negative, so very common terms still count a little.
        n = len(self.ids)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def query(self, text: str, k: int = K) -> list[str]:
        scores = np.zeros(len(self.ids))
        for term in dict.fromkeys(self.tokenize(text)):
            if term in self.postings:
                numbers, idf, weights = self.postings[term]
                scores[numbers] += idf * weights
        matched = np.flatnonzero(scores)
        best = matched[np.lexsort((matched, -scores[matched]))][:k]  # ties: index order
        return [self.ids[number] for number in best]


class FoldedBM25System(BM25System):
    name = "bm25-folded"
    description = "plain BM25 as above, accents folded in index and query (đ → d)"

    def __init__(self) -> None:
        super().__init__(tokenize=folded_syllables)


class FTS5System(System):
    """SQLite FTS5, `unicode61 remove_diacritics 2`, OR of the question's terms, ordered by bm25 rank."""

    name = "fts5"
    description = "SQLite FTS5 `unicode61 remove_diacritics 2`, OR of the terms, bm25 rank"

    def build(self, dataset: RetrievalSet, workdir: Path) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE passages USING fts5("
            "id UNINDEXED, title, text, tokenize = 'unicode61 remove_diacritics 2')"
        )
        self.db.executemany(
            "INSERT INTO passages (id, title, text) VALUES (?, ?, ?)",
            ((p.id, p.title, p.text) for p in dataset.passages),
        )
        self.db.commit()

    def query(self, text: str, k: int = K) -> list[str]:
        terms = dict.fromkeys(syllables(text))
        if not terms:
            return []
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        rows = self.db.execute(
            "SELECT id FROM passages WHERE passages MATCH ? ORDER BY rank LIMIT ?", (match, k)
        )
        return [row[0] for row in rows]

    def close(self) -> None:
        self.db.close()


class WhooshStandardSystem(System):
    """Whoosh, StandardAnalyzer on title and text, OR of the analysed question terms, BM25F."""

    name = "whoosh-std"
    description = "Whoosh StandardAnalyzer, OR group over title + text, BM25F"

    def build(self, dataset: RetrievalSet, workdir: Path) -> None:
        from whoosh import analysis, fields, index, scoring

        self.analyzer = analysis.StandardAnalyzer()
        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            title=fields.TEXT(analyzer=self.analyzer),
            text=fields.TEXT(analyzer=self.analyzer),
        )
        folder = workdir / "whoosh"
        folder.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(folder), schema)
        writer = ix.writer(limitmb=256)
        for p in dataset.passages:
            writer.add_document(id=p.id, title=p.title, text=p.text)
        writer.commit()
        self.searcher = ix.searcher(weighting=scoring.BM25F())

    def query(self, text: str, k: int = K) -> list[str]:
        from whoosh import query

        # Built from the analysed terms, not parsed: ":" "(" "-" in questions are not syntax here.
        terms = dict.fromkeys(token.text for token in self.analyzer(text))
        tree = query.Or([query.Term(f, t) for t in terms for f in ("title", "text")])
        return [hit["id"] for hit in self.searcher.search(tree, limit=k)]

    def close(self) -> None:
        self.searcher.close()


class VnsearchSystem(System):
    """Our engine through its real ingest and index code: rebuild a folder, then search."""

    name = "vnsearch"
    # Every copy listed (collapse=False), as the baselines list them: the sets hold near-identical
    # passages, and a judged passage shown as its copy's "bản đăng lại" would count as a miss.
    description = ("our engine: `rebuild` of the passages file, `search(SearchRequest(q, size=10, "
                   "collapse=False))`")

    def __init__(self, procs: int = 1) -> None:
        self.procs = procs

    def build(self, dataset: RetrievalSet, workdir: Path) -> None:
        from search import open_index, rebuild

        source = workdir / "source"
        source.mkdir(parents=True, exist_ok=True)
        link = source / dataset.passages_path.name
        if not link.exists():
            link.symlink_to(dataset.passages_path.resolve())
        self.summary = rebuild(source, workdir / "index", procs=self.procs)
        self.index = open_index(workdir / "index")
        self.indexed = self.index.stats()["articles"]

    def query(self, text: str, k: int = K) -> list[str]:
        from search.requests import SearchRequest

        return [hit.id for hit in self.index.search(SearchRequest(q=text, size=k, collapse=False)).hits]

    def close(self) -> None:
        close = getattr(self.index, "close", None)
        if close:
            close()


class VnsearchOpenSearchSystem(VnsearchSystem):
    """Our engine on OpenSearch (search/opensearch/): the same analysis and query trees, another
    evaluator; one alias per set on the cluster of --opensearch / VNSEARCH_OPENSEARCH."""

    name = "vnsearch-os"
    description = ("our engine on OpenSearch: `rebuild --opensearch` of the passages file, "
                   "`search(SearchRequest(q, size=10, collapse=False))` through search/opensearch/")

    def __init__(self, procs: int = 1, opensearch: str | None = None) -> None:
        super().__init__(procs)
        self.url = (opensearch or os.environ.get("VNSEARCH_OPENSEARCH") or "").rstrip("/")

    def build(self, dataset: RetrievalSet, workdir: Path) -> None:
        from search import open_index
        from search.opensearch.build import rebuild

        if not self.url:
            raise SystemExit("vnsearch-os needs --opensearch URL (or VNSEARCH_OPENSEARCH)")
        source = workdir / "source"
        source.mkdir(parents=True, exist_ok=True)
        link = source / dataset.passages_path.name
        if not link.exists():
            link.symlink_to(dataset.passages_path.resolve())
        base = self.url.split("://", 1)[0] + "://" + self.url.split("://", 1)[1].split("/", 1)[0]
        url = f"{base}/bench-relevance-{dataset.name.replace('_', '-')}"
        self.summary = rebuild(source, url, procs=self.procs)
        self.index = open_index(opensearch=url)
        self.indexed = self.index.stats()["articles"]


SYSTEMS: dict[str, Callable[[], System]] = {
    "vnsearch": VnsearchSystem,
    "vnsearch-os": VnsearchOpenSearchSystem,
    "fts5": FTS5System,
    "whoosh-std": WhooshStandardSystem,
    "bm25": BM25System,
    "bm25-folded": FoldedBM25System,
}
BASELINES = ("fts5", "whoosh-std", "bm25", "bm25-folded")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class RunResult:
    dataset: str
    system: str
    build_seconds: float
    passages: int = 0
    indexed: int | None = None
    scores: dict[str, Scores] = field(default_factory=dict)  # query form -> scores
    ranked: dict[str, list[list[str]]] = field(default_factory=dict)


def run_system(system: System, dataset: RetrievalSet, workdir: Path) -> RunResult:
    started = time.perf_counter()
    system.build(dataset, workdir)
    result = RunResult(dataset.name, system.name, time.perf_counter() - started,
                       len(dataset.passages), system.indexed)
    log(f"  {dataset.name} {system.name}: built in {result.build_seconds:.1f} s"
        + (f", {system.indexed} of {len(dataset.passages)} passages indexed" if system.indexed is not None else ""))
    for form in QUERY_FORMS:
        scores, ranked = Scores(), []
        started = time.perf_counter()
        for question in dataset.questions:
            text = question.text if form == "accented" else strip_diacritics(question.text)
            ids = system.query(text, K)
            ranked.append(ids)
            scores.add(ids, question.relevant)
        scores.seconds = time.perf_counter() - started
        result.scores[form], result.ranked[form] = scores, ranked
        mrr, recall, ndcg = scores.means()
        log(f"  {dataset.name} {system.name} {form}: MRR@10 {mrr:.3f}  R@10 {recall:.3f}  "
            f"nDCG@10 {ndcg:.3f}  ({scores.seconds:.1f} s)")
    system.close()
    return result


@dataclass(frozen=True)
class Job:
    """One set × one system; jobs run in parallel worker processes."""

    dataset: str
    system: str
    corpora: Path
    limit: int | None
    workdir: Path
    procs: int = 1
    opensearch: str | None = None

    def run(self) -> RunResult:
        dataset = load_retrieval_set(self.corpora, self.dataset, self.limit)
        options = {"procs": self.procs} if self.system == "vnsearch" else {}
        if self.system == "vnsearch-os":
            options = {"procs": self.procs, "opensearch": self.opensearch}
        system = SYSTEMS[self.system](**options)
        workdir = self.workdir / self.dataset / self.system
        workdir.mkdir(parents=True, exist_ok=True)
        return run_system(system, dataset, workdir)


def run_jobs(jobs: Sequence[Job], workers: int) -> list[RunResult]:
    if workers <= 1:
        return [job.run() for job in jobs]
    # Slowest first (our engine, the biggest sets), so both workers stay busy until the end.
    cost = {"vnsearch": 0, "vnsearch-os": 0, "whoosh-std": 1, "fts5": 2}
    ordered = sorted(jobs, key=lambda j: (cost.get(j.system, 3), -RETRIEVAL_SETS.index(j.dataset)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = dict(zip(ordered, pool.map(Job.run, ordered)))
    return [done[job] for job in jobs]


# ---------------------------------------------------------------- segmentation

def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def word_spans(words: Sequence[str], stream: str) -> set[tuple[int, int]]:
    """Character spans (in `stream`, the text without spaces) of the words that contain a letter or digit.

    Words are aligned left to right, so a segmenter may drop or re-split punctuation;
    a word that cannot be found in the stream counts as a wrong word.
    """
    spans: set[tuple[int, int]] = set()
    position = 0
    for number, word in enumerate(words):
        piece = _key("".join(word.split()))
        if not piece:
            continue
        found = stream.find(piece, position)
        if found < 0:
            spans.add((-1 - number, -1))  # unalignable: never equal to a gold span
            continue
        position = found + len(piece)
        if _WORD.search(piece):
            spans.add((found, position))
    return spans


@dataclass
class SegmentationScore:
    correct: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, predicted: set[tuple[int, int]], gold: set[tuple[int, int]]) -> None:
        self.correct += len(predicted & gold)
        self.predicted += len(predicted)
        self.gold += len(gold)

    def prf(self) -> tuple[float, float, float]:
        precision = self.correct / self.predicted if self.predicted else 0.0
        recall = self.correct / self.gold if self.gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def pyvi_words(text: str) -> list[str]:
    from pyvi import ViTokenizer

    return [token.replace("_", " ") for token in ViTokenizer.tokenize(text).split()]


def engine_words(text: str) -> list[str]:
    from search.analysis import segment_words

    return list(segment_words(text))


SEGMENTERS: dict[str, Callable[[str], list[str]]] = {"vnsearch": engine_words, "pyvi": pyvi_words}


def score_segmentation(
    sentences: Sequence[dict], segment: Callable[[str], list[str]]
) -> SegmentationScore:
    score = SegmentationScore()
    for sentence in sentences:
        stream = _key("".join(sentence["raw"].split()))
        gold = word_spans(sentence["words"], stream)
        score.add(word_spans(segment(sentence["raw"]), stream), gold)
    return score


# ---------------------------------------------------------------- report

def machine_info() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPU ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def averages(results: list[RunResult], system: str, form: str, sets: Sequence[str]) -> tuple[float, ...] | None:
    rows = [r for r in results if r.system == system and r.dataset in sets]
    if len(rows) != len(sets):
        return None
    means = [r.scores[form].means() for r in rows]
    return tuple(sum(m[i] for m in means) / len(means) for i in range(3))


def render_report(
    results: list[RunResult],
    segmentation: dict[str, SegmentationScore],
    sets: Sequence[str],
    systems: Sequence[str],
    command: str,
    wall_seconds: float,
    limit: int | None,
    question_counts: dict[str, int],
) -> str:
    lines = [
        "# Relevance benchmark",
        "",
        f"- date: {datetime.now(timezone.utc).astimezone().isoformat(timespec='seconds')}",
        f"- machine: {machine_info()}",
        f"- command: `{command}`",
        f"- wall time: {wall_seconds:.0f} s",
        "- questions: " + ", ".join(f"{s} {question_counts[s]}" for s in sets)
        + (f" (a sample: {limit} per set, evenly spaced through the dev file)" if limit else " (all dev questions)"),
        "",
        "Each question is run as typed (accented) and with every diacritic stripped, đ → d (accentless);",
        "passages are indexed as title + text, each set alone (no distractors).",
        "",
        "| set | system | accented MRR@10 | R@10 | nDCG@10 | accentless MRR@10 | R@10 | nDCG@10 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def cells(values: Iterable[float]) -> str:
        return " | ".join(f"{v:.3f}" for v in values)

    for dataset in sets:
        for system in systems:
            row = next((r for r in results if r.dataset == dataset and r.system == system), None)
            if row:
                lines.append(f"| {dataset} | {system} | {cells(row.scores['accented'].means())} | "
                             f"{cells(row.scores['accentless'].means())} |")
    if len(sets) > 1:
        for system in systems:
            accented = averages(results, system, "accented", sets)
            accentless = averages(results, system, "accentless", sets)
            if accented and accentless:
                lines.append(f"| **average** | {system} | {cells(accented)} | {cells(accentless)} |")

    lines += ["", "Systems:", ""]
    for system in systems:
        lines.append(f"- `{system}`: {SYSTEMS[system]().description}")

    lines += ["", "Time per set and system (build = indexing, query = all questions in both forms;",
              "indexed = passages the system reports holding, when it tells):", "",
              "| set | system | indexed | build s | query ms/question |", "|---|---|---:|---:|---:|"]
    for r in results:
        queries = sum(s.n for s in r.scores.values()) or 1
        seconds = sum(s.seconds for s in r.scores.values())
        indexed = f"{r.indexed} / {r.passages}" if r.indexed is not None else "all"
        lines.append(f"| {r.dataset} | {r.system} | {indexed} | {r.build_seconds:.1f} | "
                     f"{1000 * seconds / queries:.1f} |")

    verdict = acceptance(results, sets, systems)
    if verdict:
        lines += ["", "Acceptance (issue 4, MRR@10 averaged over the sets):", ""] + verdict

    if segmentation:
        lines += ["", f"Word segmentation against `{SEGMENTATION_SET}` (200 gold sentences, `raw` field as input;",
                  "word spans on syllable boundaries, punctuation tokens left out of both sides):", "",
                  "| segmenter | precision | recall | F1 |", "|---|---:|---:|---:|"]
        for name, score in segmentation.items():
            lines.append(f"| {name} | {cells(score.prf())} |")
    return "\n".join(lines) + "\n"


def acceptance(results: list[RunResult], sets: Sequence[str], systems: Sequence[str]) -> list[str]:
    if "vnsearch" not in systems or len(sets) < 2:
        return []
    baselines = [s for s in systems if s in BASELINES]
    if not baselines:
        return []
    ours = {form: averages(results, "vnsearch", form, sets) for form in QUERY_FORMS}
    if not all(ours.values()):
        return []
    lines = []
    for form in QUERY_FORMS:
        best = max(baselines, key=lambda s: averages(results, s, form, sets)[0])
        best_mrr = averages(results, best, form, sets)[0]
        ok = ours[form][0] > best_mrr
        lines.append(f"- {form}: ours {ours[form][0]:.3f} vs best baseline {best} {best_mrr:.3f} "
                     f"→ {'pass' if ok else 'FAIL'}")
    ratio = ours["accentless"][0] / ours["accented"][0] if ours["accented"][0] else 0.0
    lines.append(f"- accentless / accented: {ratio:.1%} (≥ 95 %) → {'pass' if ratio >= 0.95 else 'FAIL'}")
    for dataset in sets:
        ours_rows = next(r for r in results if r.dataset == dataset and r.system == "vnsearch")
        for form in QUERY_FORMS:
            mine = ours_rows.scores[form].means()[0]
            rows = [r for r in results if r.dataset == dataset and r.system in baselines]
            best = max(rows, key=lambda r: r.scores[form].means()[0])
            gap = mine - best.scores[form].means()[0]
            lines.append(f"- {dataset} {form}: ours {mine:.3f}, best {best.system} "
                         f"{best.scores[form].means()[0]:.3f} ({gap:+.3f}) → {'pass' if gap >= -0.01 else 'FAIL'}")
    return lines


# ---------------------------------------------------------------- main

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(RETRIEVAL_SETS), choices=RETRIEVAL_SETS)
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=list(SYSTEMS))
    parser.add_argument("--limit", type=int, default=None, help="N dev questions of each set, evenly spaced through the file")
    parser.add_argument("--no-segmentation", action="store_true", help="skip the segmentation F1")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="set × system jobs run in parallel (default: one per CPU)")
    parser.add_argument("--procs", type=int, default=1, help="processes for our engine's rebuild")
    parser.add_argument("--backend", choices=("embedded", "opensearch", "both"), default="embedded",
                        help="where our engine runs: the embedded index (system vnsearch), OpenSearch "
                             "(vnsearch-os, needs --opensearch), or both side by side")
    parser.add_argument("--opensearch", default=os.environ.get("VNSEARCH_OPENSEARCH"),
                        help="an OpenSearch URL for --backend opensearch/both")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--dump", type=Path, default=None,
                        help="write every ranking as JSON Lines here, for error analysis")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS_relevance.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    command = "python bench/relevance.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    wanted = set(args.systems) - {"vnsearch-os"}
    if "vnsearch" in wanted and args.backend != "embedded":
        wanted.add("vnsearch-os")
        if args.backend == "opensearch":
            wanted.discard("vnsearch")
    systems = [s for s in SYSTEMS if s in wanted]
    sets = [s for s in RETRIEVAL_SETS if s in args.sets]
    datasets = {name: load_retrieval_set(args.corpora, name, args.limit) for name in sets}
    for dataset in datasets.values():
        log(f"{dataset.name}: {len(dataset.passages)} passages, {len(dataset.questions)} questions")
    with tempfile.TemporaryDirectory(prefix="vnsearch-relevance-") as scratch:
        root = args.workdir or Path(scratch)
        jobs = [Job(name, system, args.corpora, args.limit, root, args.procs, args.opensearch)
                for name in sets for system in systems]
        results = run_jobs(jobs, args.jobs)
    question_counts = {name: len(d.questions) for name, d in datasets.items()}

    segmentation: dict[str, SegmentationScore] = {}
    if not args.no_segmentation:
        sentences = list(read_jsonl_gz(args.corpora / SEGMENTATION_SET / "dev_sample.jsonl.gz"))
        for name, segment in SEGMENTERS.items():
            if name == "vnsearch" and "vnsearch" not in systems:
                continue
            segmentation[name] = score_segmentation(sentences, segment)
            log(f"segmentation {name}: P/R/F1 " + " / ".join(f"{v:.3f}" for v in segmentation[name].prf()))

    if args.dump:
        with args.dump.open("w", encoding="utf-8") as dump:
            for r in results:
                for form in QUERY_FORMS:
                    for question, ranked in zip(datasets[r.dataset].questions, r.ranked[form]):
                        dump.write(json.dumps({
                            "set": r.dataset, "system": r.system, "form": form, "qid": question.qid,
                            "question": question.text, "relevant": sorted(question.relevant), "ranked": ranked,
                        }, ensure_ascii=False) + "\n")

    report = render_report(results, segmentation, sets, systems, command,
                           time.perf_counter() - started, args.limit, question_counts)
    sys.stdout.write(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

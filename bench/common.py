"""Shared helpers for the benchmarks: corpus loading and sharding, percentiles, timing,
RSS of a process tree, machine facts.

Only the standard library at import time; psutil is imported where RSS is sampled.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("VNSEARCH_CORPORA", REPO.parent / "shared" / "corpora"))
NEWS_CORPORA = ("vntc_news", "baomoi_news", "unc_dantri_news", "news24h_sample")
WORK = REPO / "bench" / "work"
SHARD_SIZE = 1000
MB = 1_000_000  # throughput is reported in decimal megabytes of UTF-8 title + text
MIB = 1024 * 1024


# ---------------------------------------------------------------- corpus

def read_jsonl_gz(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def load_news(corpora: Path = CORPORA, names: Sequence[str] = NEWS_CORPORA) -> dict[str, list[dict]]:
    """Every article of each news corpus, in file order, tagged with its corpus name."""
    out = {}
    for name in names:
        docs = []
        for record in read_jsonl_gz(corpora / name / "docs.jsonl.gz"):
            record["corpus"] = name
            docs.append(record)
        out[name] = docs
    return out


def proportional_sample(by_corpus: dict[str, list[dict]], size: int | None, seed: int = 7) -> list[dict]:
    """`size` articles drawn from every corpus in proportion to its size (all when None),
    each corpus's share in its original order; the same seed gives the same articles."""
    total = sum(len(docs) for docs in by_corpus.values())
    if size is None or size >= total:
        return [d for docs in by_corpus.values() for d in docs]
    quotas = {name: math.floor(size * len(docs) / total) for name, docs in by_corpus.items()}
    # Largest remainders get the articles that rounding left over.
    remainders = sorted(by_corpus, key=lambda n: -(size * len(by_corpus[n]) / total - quotas[n]))
    for name in remainders[: size - sum(quotas.values())]:
        quotas[name] += 1
    rng = random.Random(seed)
    sample = []
    for name, docs in by_corpus.items():
        picked = sorted(rng.sample(range(len(docs)), quotas[name]))
        sample.extend(docs[i] for i in picked)
    return sample


def article_bytes(doc: dict) -> int:
    return len((doc.get("title") or "").encode("utf-8")) + len((doc.get("text") or "").encode("utf-8"))


def corpus_fingerprint(docs: Sequence[dict]) -> str:
    digest = hashlib.sha1()
    for doc in docs:
        digest.update(str(doc.get("id")).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def write_jsonl_gz(path: Path, docs: Iterable[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    # mtime=0: the same articles give byte-identical files.
    with open(temporary, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=1) as out:
        for doc in docs:
            record = {k: v for k, v in doc.items() if k != "corpus"}
            out.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
    os.replace(temporary, path)


@dataclass
class ShardedCorpus:
    """A corpus written as shards of ~1000 articles, plus two 100-article files for the
    update test: `delete_file` lies in the source folder, `add_file` outside it."""

    source: Path
    docs: list[dict]  # the articles in `source` (delete_file's included)
    add_docs: list[dict]
    add_file: Path
    delete_file: Path

    @property
    def bytes(self) -> int:
        return sum(article_bytes(d) for d in self.docs)


def shard_corpus(docs: list[dict], root: Path, update_batch: int = 100, shard_size: int = SHARD_SIZE) -> ShardedCorpus:
    """Write `docs` below `root`: the last `update_batch` articles are held out (`add_file`),
    the `update_batch` before them form `delete_file`, the rest go in shards. Reuses an
    existing layout written from the same articles."""
    held_out, kept = docs[-update_batch:], docs[:-update_batch]
    deletable, rest = kept[-update_batch:], kept[:-update_batch]
    source = root / "source"
    add_file = root / "add-100.jsonl.gz"
    delete_file = source / "zz-delete-100.jsonl.gz"
    stamp = root / "layout.json"
    expected = {"articles": corpus_fingerprint(docs), "shard_size": shard_size, "update_batch": update_batch}
    try:
        if json.loads(stamp.read_text()) == expected and add_file.exists() and delete_file.exists():
            return ShardedCorpus(source, kept, held_out, add_file, delete_file)
    except (OSError, ValueError):
        pass
    shutil.rmtree(root, ignore_errors=True)
    for number, start in enumerate(range(0, len(rest), shard_size)):
        write_jsonl_gz(source / f"shard-{number:04d}.jsonl.gz", rest[start:start + shard_size])
    write_jsonl_gz(delete_file, deletable)
    write_jsonl_gz(add_file, held_out)
    stamp.write_text(json.dumps(expected))
    return ShardedCorpus(source, kept, held_out, add_file, delete_file)


def iter_source(source: Path) -> Iterator[dict]:
    """The records of every .jsonl.gz below `source`, in the order our rebuild reads them."""
    for path in sorted(source.rglob("*.jsonl.gz")):
        yield from read_jsonl_gz(path)


# ---------------------------------------------------------------- statistics

def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100) with linear interpolation between closest ranks
    (numpy's default method); NaN for no values."""
    if not values:
        return math.nan
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, not {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(ms: Sequence[float]) -> dict:
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 3),
        "p95": round(percentile(ms, 95), 3),
        "p99": round(percentile(ms, 99), 3),
        "mean": round(sum(ms) / len(ms), 3),
        "max": round(max(ms), 3),
    }


# ---------------------------------------------------------------- processes and memory

class RssSampler:
    """Samples the resident memory of a process and all its descendants in a thread:
    the peak of their sum (shared pages counted once per process) and of the largest one."""

    def __init__(self, pid: int, interval: float = 0.1, limit: int | None = None,
                 on_limit: Callable[[], None] | None = None):
        import psutil

        self._psutil = psutil
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak_tree = 0
        self.peak_single = 0
        self.samples: list[tuple[float, int]] = []
        self.limit = limit
        self.on_limit = on_limit
        self.limit_hit: float | None = None  # seconds after start when the tree passed `limit`
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.perf_counter()

    def sample(self) -> int:
        total = 0
        try:
            family = [self.process] + self.process.children(recursive=True)
        except self._psutil.Error:
            return 0
        for proc in family:
            try:
                rss = proc.memory_info().rss
            except self._psutil.Error:
                continue
            total += rss
            self.peak_single = max(self.peak_single, rss)
        self.peak_tree = max(self.peak_tree, total)
        elapsed = time.perf_counter() - self._started
        self.samples.append((elapsed, total))
        if self.limit and total > self.limit and self.limit_hit is None:
            self.limit_hit = elapsed
            if self.on_limit:
                self.on_limit()
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Measured:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_rss_tree: int
    peak_rss_single: int
    command: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_measured(command: list[str], cwd: Path = REPO, env: dict | None = None, timeout: float | None = None,
                 log: Path | None = None) -> Measured:
    """Run `command`, timing it and sampling the RSS of its whole process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, encoding="utf-8", errors="replace")
    with RssSampler(process.pid) as sampler:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"$ {' '.join(command)}\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n", encoding="utf-8")
    return Measured(seconds, process.returncode, stdout, stderr, sampler.peak_tree, sampler.peak_single, command)


def stop_server(server: subprocess.Popen, timeout: float = 30) -> None:
    """Ctrl-C a server process, and kill it if it has not stopped within `timeout` seconds."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def dir_size(path: Path) -> int:
    """Bytes of the regular files below `path`, symlinks followed once at the top."""
    path = Path(path).resolve()
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def machine() -> dict:
    """The facts a reader needs to compare runs."""
    info = {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
    }
    try:
        import psutil

        info["memory_gib"] = round(psutil.virtual_memory().total / 1024 ** 3, 1)
    except ImportError:
        pass
    info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def package_versions(names: Iterable[str]) -> dict[str, str | None]:
    from importlib import metadata

    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_head(repo: Path = REPO) -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


_SPACES = re.compile(r"\s+")


def one_line(text: str, limit: int = 200) -> str:
    return _SPACES.sub(" ", text).strip()[:limit]

"""Shared test helpers: paths, hand-made sources and indexes, a web client, bench scripts.

Plain functions (no fixtures): test modules and tests/conftest.py import them from here.
"""
from __future__ import annotations

import importlib.util
import itertools
import json
import os
import socket
import sys
import time
import urllib.request
from pathlib import Path

from search import rebuild

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "index_data" / "articles"
TEST_ARTICLES = Path(__file__).resolve().parent / "data" / "articles"
SHARED = ROOT.parent / "shared"
BENCH = ROOT / "bench"


def write_articles(folder, name, articles):
    """A JSON Lines file of `articles` (dicts) at folder/name, the folder made if needed."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles), encoding="utf-8")


_ALIASES = itertools.count(1)


def index_of(tmp_path_factory, articles, name: str = "articles", backend: str | None = None):
    """A fresh index of `articles` (dicts, as a JSON Lines source), for a module's fixture: a
    folder, or with `backend` (an OpenSearch node's URL: the `backend` fixture) the URL of a new
    alias there. open_index and client_of take either."""
    source = tmp_path_factory.mktemp(f"{name}-source")
    write_articles(source, f"{name}.jsonl", articles)
    return built(source, tmp_path_factory, name, backend)


def built(source, tmp_path_factory, name: str, backend: str | None = None):
    """`source` indexed: in a new folder, or (given a node's URL) in a new alias on it."""
    if backend:
        from search.opensearch.build import rebuild as rebuild_cluster

        url = f"{backend.rstrip('/')}/test-{name.lower()}-{os.getpid()}-{next(_ALIASES)}"
        rebuild_cluster(source, url)
        return url
    index_dir = tmp_path_factory.mktemp(f"{name}-index")
    rebuild(source, index_dir)
    return index_dir


def where(target) -> list[str]:
    """The CLI options naming an index: ["--index", DIR] or ["--opensearch", URL]."""
    if isinstance(target, str) and target.startswith("http"):
        return ["--opensearch", target]
    return ["--index", str(target)]


def client_of(index_dir):
    """A Flask test client of the web app over `index_dir` (a folder or an OpenSearch URL)."""
    from web import create_app

    if isinstance(index_dir, str) and index_dir.startswith("http"):
        return create_app(opensearch=index_dir, TESTING=True).test_client()
    return create_app(index_dir=index_dir, TESTING=True).test_client()


def load_bench(name: str):
    """A bench/ script as a module (bench/ is not a package; its scripts import each other)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """A free TCP port on loopback, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_health(process, url: str, timeout: float = 60) -> None:
    """Until `url`/healthz answers ok; fails if the server process ended first or `timeout` passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                assert json.load(response)["status"] == "ok"
            return
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

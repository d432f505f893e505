"""Shared fixtures: indexes are built once per session in temporary folders."""
from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from search import open_index, rebuild

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "index_data" / "articles"
TEST_ARTICLES = Path(__file__).resolve().parent / "data" / "articles"
SHARED = ROOT.parent / "shared"

# Properties are about outcomes, not speed: no per-example deadline (Hypothesis's default, 200 ms,
# fails a slow example on a busy machine). Tests that measure time say so themselves.
settings.register_profile("vnsearch", deadline=None)
settings.load_profile("vnsearch")


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory) -> Path:
    """An index of the five bundled articles."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    rebuild(SAMPLES, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def sample_index(sample_index_dir):
    return open_index(sample_index_dir)


@pytest.fixture(scope="session")
def mixed_source_dir(tmp_path_factory) -> Path:
    """The bundled articles plus the small test articles of tests/data/articles."""
    source = tmp_path_factory.mktemp("mixed-source")
    shutil.copytree(SAMPLES, source / "samples")
    if TEST_ARTICLES.is_dir():
        shutil.copytree(TEST_ARTICLES, source / "extra")
    return source


@pytest.fixture(scope="session")
def mixed_index_dir(tmp_path_factory, mixed_source_dir) -> Path:
    index_dir = tmp_path_factory.mktemp("mixed-index")
    rebuild(mixed_source_dir, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def mixed_index(mixed_index_dir):
    return open_index(mixed_index_dir)


@pytest.fixture(scope="session")
def app(sample_index_dir):
    from web import create_app

    app = create_app(index_dir=sample_index_dir, TESTING=True)
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


def write_articles(folder, name, articles):
    """A JSON Lines file of `articles` (dicts) at folder/name, the folder made if needed."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles), encoding="utf-8")


def index_of(tmp_path_factory, articles, name: str = "articles") -> Path:
    """A fresh index of `articles` (dicts, as a JSON Lines source), for a module's fixture."""
    source = tmp_path_factory.mktemp(f"{name}-source")
    write_articles(source, f"{name}.jsonl", articles)
    index_dir = tmp_path_factory.mktemp(f"{name}-index")
    rebuild(source, index_dir)
    return index_dir


BENCH = ROOT / "bench"


def load_bench(name: str):
    """A bench/ script as a module (bench/ is not a package; its scripts import each other)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module

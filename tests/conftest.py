"""Shared fixtures: indexes are built once per session in temporary folders."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from search import open_index, rebuild

from helpers import SAMPLES, TEST_ARTICLES, built

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


BACKENDS = ("embedded", "opensearch")


@pytest.fixture(scope="session")
def opensearch_url(request) -> str:
    """An OpenSearch node for the session: VNSEARCH_TEST_OPENSEARCH, else the `opensearch_node`
    fixture (tests/opensearch_cluster.py, which starts one from the Maven module)."""
    url = os.environ.get("VNSEARCH_TEST_OPENSEARCH")
    if not url:
        try:
            url = request.getfixturevalue("opensearch_node").url
        except pytest.FixtureLookupError:
            pytest.skip("no OpenSearch node: set VNSEARCH_TEST_OPENSEARCH=http://HOST:PORT")
    yield url.rstrip("/")
    from opensearchpy import OpenSearch  # the session's indexes (helpers.built names them by pid)

    OpenSearch(hosts=[url]).indices.delete(index=f"test-*-{os.getpid()}-*", ignore_unavailable=True)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str | None:
    """Behaviour tests run on both backends: None for the embedded index, an OpenSearch node's
    URL for the other (helpers.index_of builds there then)."""
    return request.getfixturevalue("opensearch_url") if request.param == "opensearch" else None


@pytest.fixture(scope="session")
def sample_target(backend, sample_index_dir, tmp_path_factory):
    """The five bundled articles on the backend under test: a folder or an OpenSearch URL."""
    return built(SAMPLES, tmp_path_factory, "sample", backend) if backend else sample_index_dir


@pytest.fixture(scope="session")
def sample_index(sample_target):
    return open_index(sample_target)


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
def mixed_index(backend, mixed_source_dir, mixed_index_dir, tmp_path_factory):
    return open_index(built(mixed_source_dir, tmp_path_factory, "mixed", backend) if backend else mixed_index_dir)


@pytest.fixture(scope="session")
def app(sample_index_dir):
    from web import create_app

    app = create_app(index_dir=sample_index_dir, TESTING=True)
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


# ---------------------------------------------------------------- OpenSearch (issue 21)
# Real nodes from the Maven module opensearch/ (tests/opensearch_cluster.py); `make test` builds
# it first. No node to be had (no Java, no Maven, a node that does not start) fails the test
# with that one-line cause: the OpenSearch tests are never skipped silently.

@pytest.fixture(scope="session")
def opensearch_node(tmp_path_factory):
    """One OpenSearch node (single-node cluster) for the whole session."""
    from opensearch_cluster import OpenSearchUnavailable, start_cluster

    try:
        cluster = start_cluster(1, tmp_path_factory.mktemp("opensearch-node"))
    except OpenSearchUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture()
def opensearch_cluster_factory(tmp_path_factory):
    """start(nodes=3) → a Cluster of that many JVMs, stopped when the test ends."""
    from opensearch_cluster import OpenSearchUnavailable, start_cluster

    started = []

    def start(nodes: int = 3, **options):
        try:
            cluster = start_cluster(nodes, tmp_path_factory.mktemp("opensearch-cluster"), **options)
        except OpenSearchUnavailable as error:
            pytest.fail(str(error), pytrace=False)
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()

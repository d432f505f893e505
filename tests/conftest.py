"""Shared fixtures: indexes are built once per session in temporary folders."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from search import open_index, rebuild

from helpers import SAMPLES, TEST_ARTICLES

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

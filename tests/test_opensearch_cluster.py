"""The cluster promise (issue 21, item 6): three OpenSearch nodes (three JVMs) hold an index of
3 shards and 1 replica built from the sample articles and 1,000 corpus articles; one data node
is killed with SIGKILL and every search still answers, with every document; then a rebuild runs
against the two nodes left.

Everything goes through vnsearch itself: `rebuild --opensearch URL` (the CLI) writes the index
and moves the alias, and the searches are `open_index(opensearch=URL)`'s, as the web and the CLI
ask them: totals, every matching id (export) and the facet counts must not change when a node
is lost, nor after the rebuild on the two nodes left.
"""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from helpers import SAMPLES, SHARED, write_articles
from search.requests import SearchRequest
from search.text import fold_accents

pytestmark = pytest.mark.slow


CORPORA = Path(os.environ.get("VNSEARCH_CORPORA", SHARED / "corpora"))
NEWS = ("vntc_news", "baomoi_news", "unc_dantri_news", "news24h_sample")
CORPUS_ARTICLES = 1000
ALIAS = "vnsearch"
SHARDS, REPLICAS = 3, 1


def _corpus_articles(count: int = CORPUS_ARTICLES) -> list[dict]:
    """The first count/4 articles of each of the four news corpora (fixed: same articles every run)."""
    missing = [name for name in NEWS if not (CORPORA / name / "docs.jsonl.gz").is_file()]
    if missing:
        message = f"corpora not available at {CORPORA} (missing {', '.join(missing)})"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI has shared/corpora beside the checkout", pytrace=False)
        pytest.skip(message)
    articles = []
    for name in NEWS:
        with gzip.open(CORPORA / name / "docs.jsonl.gz", "rt", encoding="utf-8") as lines:
            taken = 0
            for line in lines:
                if taken == count // len(NEWS):
                    break
                if line.strip():
                    record = json.loads(line)
                    record["id"] = f"{name}-{record['id']}"
                    articles.append(record)
                    taken += 1
    return articles


@pytest.fixture(scope="module")
def source_dir(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("cluster-source")
    shutil.copytree(SAMPLES, source / "samples")
    write_articles(source / "corpus", "corpus.jsonl", _corpus_articles())
    return source


# ---------------------------------------------------------------- through vnsearch

def _rebuild(url: str, source: Path) -> int:
    """`vnsearch rebuild --opensearch URL --source DIR`, as a user runs it: the articles indexed."""
    from click.testing import CliRunner

    import manage

    result = CliRunner().invoke(manage.cli, ["rebuild", "--opensearch", url, "--source", str(source)])
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    counted = re.match(r"Đã đánh chỉ mục ([\d.,]+) bài viết", last)
    assert counted, last
    return int(re.sub(r"\D", "", counted.group(1)))


def _queries(index, documents: int, picks: int = 20) -> list[tuple[str, str, str | None]]:
    """(query, accents, id of the article it was drawn from): everything; and for `picks`
    articles spread over the index, two words of the title as a phrase, and one title word
    typed without marks."""
    articles = list(index.export(SearchRequest(q="")))
    assert len(articles) == documents and len({a.id for a in articles}) == documents
    queries = [("", "exact", None)]
    for article in articles[:: max(1, len(articles) // picks)][:picks]:
        tokens = article.title.split()
        words = [w for w in tokens if re.fullmatch(r"[^\W\d_]+", w)]
        pairs = [(a, b) for a, b in zip(tokens, tokens[1:]) if a in words and b in words]
        if pairs:
            queries.append((f'"{pairs[0][0]} {pairs[0][1]}"', "exact", article.id))
        if words:
            queries.append((fold_accents(max(words, key=len)), "ignore", article.id))
    return queries


def _answers(index, queries) -> list[tuple]:
    """Each query's total, every matching id (export) and its facet counts."""
    answers = []
    for q, accents, _ in queries:
        request = SearchRequest(q=q, accents=accents)
        result = index.search(request)
        ids = sorted(a.id for a in index.export(request))
        facets = {name: sorted((v.value, v.count) for v in values) for name, values in result.facets.items()}
        answers.append((result.total, ids, facets))
    return answers


def _node_holding_shards(client, cluster, spare):
    """The elected cluster manager if it is not `spare` (the harder loss: an election follows),
    else another node that holds shard copies."""
    manager = client.transport.perform_request("GET", "/_cat/cluster_manager", params={"format": "json"})[0]["node"]
    holders = {row["node"] for row in client.cat.shards(format="json") if row["index"].startswith(ALIAS)}
    candidates = [n for n in cluster.nodes if n is not spare and n.name in holders]
    return next((n for n in candidates if n.name == manager), candidates[0])


# ---------------------------------------------------------------- the promise

def test_three_nodes_lose_one_and_every_search_still_answers_then_rebuild_on_two(
        opensearch_cluster_factory, source_dir, monkeypatch):
    from opensearchpy import OpenSearch

    from search import open_index

    clock = _Clock()
    monkeypatch.setenv("VNSEARCH_OPENSEARCH_SHARDS", str(SHARDS))
    monkeypatch.setenv("VNSEARCH_OPENSEARCH_REPLICAS", str(REPLICAS))
    cluster = opensearch_cluster_factory(3)
    coordinator = cluster.nodes[0]  # the node vnsearch talks to; another one is lost
    url = f"{coordinator.url}/{ALIAS}"
    client = OpenSearch(coordinator.url, timeout=60)
    clock.lap("3 nodes started")

    indexed = _rebuild(url, source_dir)
    assert indexed > CORPUS_ARTICLES  # the samples and the corpus articles (a republished copy once)
    (first,) = client.indices.get_alias(name=ALIAS)
    cluster.health("green", 3, index=first)
    allocation = client.cat.shards(index=first, format="json")
    assert len(allocation) == SHARDS * (1 + REPLICAS)
    assert len({row["node"] for row in allocation}) == 3  # the copies are spread over the three JVMs
    clock.lap("rebuild on 3")

    index = open_index(opensearch=url)
    assert index.count() == indexed
    queries = _queries(index, indexed)
    assert len(queries) > 30
    before = _answers(index, queries)
    assert before[0][0] == indexed and len(before[0][1]) == indexed
    for (q, _, drawn_from), (total, ids, _) in zip(queries[1:], before[1:]):
        assert drawn_from in ids, (q, total)  # a query drawn from an article finds it
    clock.lap(f"{len(queries)} searches")

    victim = _node_holding_shards(client, cluster, spare=coordinator)
    victim.kill()
    assert not victim.alive
    # At once, before the cluster has noticed: every search answers, complete and the same.
    assert _answers(index, queries) == before
    clock.lap("searches just after the kill")
    cluster.health("yellow", 2, timeout=120)
    assert _answers(index, queries) == before
    assert index.count() == indexed
    clock.lap("cluster of 2 yellow, searches")

    # rebuild against the two nodes left: a new index, the alias moved, the old one gone.
    assert _rebuild(url, source_dir) == indexed
    (second,) = client.indices.get_alias(name=ALIAS)
    assert second != first and not client.indices.exists(index=first)
    cluster.health("green", 2, index=second, timeout=120)  # 3 shards x 2 copies fit on 2 nodes
    clock.lap("rebuild on 2")
    assert _answers(open_index(opensearch=url), queries) == before
    clock.lap("searches")


class _Clock:
    """Phase times, printed (pytest -s or -rP shows them)."""

    def __init__(self):
        self.last = time.monotonic()

    def lap(self, what: str) -> None:
        now = time.monotonic()
        print(f"opensearch cluster test: {what}: {now - self.last:.1f} s", flush=True)
        self.last = now

"""The cluster promise (issue 21, item 6): three OpenSearch nodes (three JVMs) hold an index of
3 shards and 1 replica built from the sample articles and 1,000 corpus articles; one data node
is killed with SIGKILL and every search still answers, with every document; then a rebuild runs
against the two nodes left.

The index is written here with opensearch-py: our analysis (`search.analysis`) turns each
article into whitespace-separated terms (exact, folded, compound words; the folded syllables
in order, so phrases match by position) sent to `whitespace` fields. `_rebuild` and
`_searches` are the seam where the vnsearch OpenSearch backend takes over once it exists.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from helpers import SAMPLES, SHARED, write_articles

pytestmark = pytest.mark.slow

opensearchpy = pytest.importorskip("opensearchpy")

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


# ---------------------------------------------------------------- the seam: build and search

def _analysed(text: str) -> tuple[str, str]:
    """(terms, folded) of a text by our pipeline: every exact syllable and compound word, and
    the folded syllables in order (positions kept for phrases)."""
    from search.analysis import folded_term, normalize_syllable, word_strings, word_term

    terms, folded = [], []
    for word in word_strings(text):
        exact = [normalize_syllable(s) for s in word]
        terms.extend(exact)
        if len(exact) > 1:
            terms.append(word_term(exact))
        folded.extend(folded_term(s) for s in exact)
    return " ".join(terms), " ".join(folded)


def _mapping() -> dict:
    analysed = {"type": "text", "analyzer": "whitespace", "similarity": "vnsearch"}
    return {
        "settings": {"number_of_shards": SHARDS, "number_of_replicas": REPLICAS,
                     "similarity": {"vnsearch": {"type": "BM25", "k1": 1.2, "b": 0.75}}},
        "mappings": {"dynamic": "strict", "properties": {
            "title": {"type": "text", "index": False}, "text": {"type": "text", "index": False},
            "title_terms": analysed, "text_terms": analysed, "title_folded": analysed, "text_folded": analysed,
            "source": {"type": "keyword"}, "category": {"type": "keyword"}, "published": {"type": "keyword"},
        }},
    }


def _documents(source: Path):
    from search.articles import Article
    from search.ingest import iter_articles

    for _, item in iter_articles(source):
        if not isinstance(item, Article):
            continue
        title_terms, title_folded = _analysed(item.title)
        text_terms, text_folded = _analysed(item.text)
        yield {"_id": item.id, "_source": {
            "title": item.title, "text": item.text, "title_terms": title_terms, "text_terms": text_terms,
            "title_folded": title_folded, "text_folded": text_folded,
            "source": item.source, "category": item.category, "published": item.published}}


def _rebuild(client, source: Path) -> tuple[str, int]:
    """A new index `vnsearch-<stamp>` bulk-loaded from `source`, the alias moved to it in one
    `_aliases` call, the old index deleted: (its name, documents indexed)."""
    from opensearchpy import helpers

    name = f"{ALIAS}-{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns() % 1_000_000:06d}"
    client.indices.create(index=name, body=_mapping())
    indexed, errors = helpers.bulk(client, _documents(source), index=name, chunk_size=200, raise_on_error=False)
    assert not errors, errors[:3]
    client.indices.refresh(index=name)
    old = list(client.indices.get_alias(name=ALIAS)) if client.indices.exists_alias(name=ALIAS) else []
    actions = [{"remove": {"index": o, "alias": ALIAS}} for o in old] + [{"add": {"index": name, "alias": ALIAS}}]
    client.indices.update_aliases(body={"actions": actions})
    for o in old:
        client.indices.delete(index=o)
    return name, indexed


def _queries(client) -> list[dict]:
    """Searches drawn from the index itself: everything; a phrase of two folded syllables
    from each of 20 titles; an exact term of each; a facet (terms aggregation) of sources."""
    hits = client.search(index=ALIAS, body={"size": 20, "sort": ["_doc"], "_source": ["title_folded", "title_terms"],
                                            "query": {"match_all": {}}})["hits"]["hits"]
    queries = [{"query": {"match_all": {}}, "aggs": {"sources": {"terms": {"field": "source", "size": 50}}}}]
    for hit in hits:
        folded = hit["_source"]["title_folded"].split()
        if len(folded) >= 2:
            queries.append({"query": {"match_phrase": {"title_folded": " ".join(folded[:2])}}})
        terms = hit["_source"]["title_terms"].split()
        if terms:
            queries.append({"query": {"bool": {"should": [{"term": {"title_terms": {"value": terms[-1], "boost": 2}}},
                                                          {"term": {"text_terms": terms[-1]}}]}}})
    return queries


def _answers(client, queries: list[dict]) -> list[tuple]:
    """Each query's total, ids and aggregation buckets, checked complete (no shard failed)."""
    answers = []
    for query in queries:
        answer = client.search(index=ALIAS, body={**query, "size": 10_000, "_source": False,
                                                  "track_total_hits": True}, request_timeout=60)
        shards = answer["_shards"]
        assert shards["failed"] == 0 and shards["successful"] == shards["total"] == SHARDS, (query, shards)
        buckets = answer.get("aggregations", {}).get("sources", {}).get("buckets", [])
        answers.append((answer["hits"]["total"]["value"], sorted(h["_id"] for h in answer["hits"]["hits"]),
                        sorted((b["key"], b["doc_count"]) for b in buckets)))
    return answers


# ---------------------------------------------------------------- the promise

def _client(url: str):
    from opensearchpy import OpenSearch

    return OpenSearch(url, timeout=60, max_retries=0)


def _node_holding_shards(client, cluster, spare):
    """The elected cluster manager if it is not `spare` (the harder loss: an election follows),
    else another node that holds shard copies."""
    manager_name = client.transport.perform_request("GET", "/_cat/cluster_manager", params={"format": "json"})[0]["node"]
    holders = {row["node"] for row in client.cat.shards(index=ALIAS, format="json")}
    candidates = [n for n in cluster.nodes if n is not spare and n.name in holders]
    return next((n for n in candidates if n.name == manager_name), candidates[0])


def test_three_nodes_lose_one_and_every_search_still_answers_then_rebuild_on_two(opensearch_cluster_factory, source_dir):
    cluster = opensearch_cluster_factory(3)
    coordinator = cluster.nodes[0]
    client = _client(coordinator.url)

    first, indexed = _rebuild(client, source_dir)
    assert indexed >= CORPUS_ARTICLES  # the samples and the corpus articles (an id seen twice kept once)
    documents = client.count(index=ALIAS)["count"]
    assert documents == indexed
    cluster.health("green", 3, index=first)
    allocation = client.cat.shards(index=first, format="json")
    assert len(allocation) == SHARDS * (1 + REPLICAS)
    assert len({row["node"] for row in allocation}) == 3  # the copies are spread over the three JVMs

    queries = _queries(client)
    assert len(queries) > 20
    before = _answers(client, queries)
    assert before[0][0] == documents and sum(count for _, count in before[0][2]) <= documents
    assert all(total > 0 for total, _, _ in before[1:])  # each drawn phrase or term finds its article

    victim = _node_holding_shards(client, cluster, spare=coordinator)
    victim.kill()
    assert not victim.alive
    # At once, before the cluster notices: every search answers, complete and the same.
    assert _answers(client, queries) == before
    cluster.health("yellow", 2, timeout=120)
    assert _answers(client, queries) == before
    assert client.count(index=ALIAS)["count"] == documents

    # rebuild against the two nodes left: a new index, the alias moved, the old one gone.
    second, reindexed = _rebuild(client, source_dir)
    assert second != first and reindexed == indexed
    cluster.health("green", 2, index=second, timeout=120)  # 3 shards x 2 copies fit on 2 nodes
    assert list(client.indices.get_alias(name=ALIAS)) == [second]
    assert not client.indices.exists(index=first)
    assert _answers(client, queries) == before

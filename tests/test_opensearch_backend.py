"""The OpenSearch backend's own parts: what it sends (mapping, documents, compiled queries: no
node needed) and what only it does (the alias swap, update by id, a cluster that does not
answer). The behaviour both backends share is tested by the behaviour tests through the
`backend` fixture (tests/conftest.py)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import manage
from helpers import SAMPLES, built, write_articles
from search import open_index
from search.analysis import syllables
from search.errors import ClusterUnavailable
from search.opensearch.compile import Compiler, facet_filter, phrase_query, term_query
from search.opensearch.documents import analyse_text
from search.opensearch.mapping import index_settings
from search.query import Weights, matching_tree, parse, ranking_tree
from search.query.tree import Adjacent, And, Near, Not, Phrase, Term
from search.requests import SearchRequest


# ---- what is sent (no node) ------------------------------------------------------------

def test_the_index_similarity_is_our_bm25_and_every_analysed_field_splits_on_whitespace():
    settings = index_settings(Weights(k1=0.9, b=0.4))
    assert settings["settings"]["index"]["similarity"]["vnsearch_bm25"] == {"type": "BM25", "k1": 0.9, "b": 0.4}
    analysed = {name: spec for name, spec in settings["mappings"]["properties"].items()
                if name.startswith(("title_", "text_"))}
    assert len(analysed) == 8
    assert all(spec["analyzer"] == "whitespace" for spec in analysed.values())
    assert analysed["text_pairs"]["similarity"] == "vnsearch_pairs"


@pytest.mark.parametrize("text", ["Bão lũ miền Trung gây thiệt hại", "Sở Thông tin và Truyền thông, TP.HCM!", "x"])
def test_exact_folded_and_word_tokens_stand_at_the_same_positions(text):
    analysed = analyse_text(text)
    count = len(syllables(text))
    assert len(analysed.exact.split()) == len(analysed.folded.split()) == len(analysed.words.split()) == count
    assert len(analysed.pairs.split()) == max(count - 1, 0)


def test_a_document_holds_exact_folded_and_compound_tokens():
    analysed = analyse_text("Thông tin về bão")
    assert analysed.exact.split() == ["thông", "tin", "về", "bão"]
    assert analysed.folded.split() == ["thong", "tin", "ve", "bao"]
    assert "thông_tin" in analysed.words.split()
    assert analysed.pairs.split()[0] == "thong_tin"


def test_terms_go_to_the_field_of_their_kind():
    assert term_query("text", "bão") == {"term": {"text_exact": {"value": "bão"}}}
    assert term_query("title", "f:bao", 0.6) == {"term": {"title_folded": {"value": "bao", "boost": 0.6}}}
    assert term_query("text", "w:thông_tin") == {"term": {"text_words": {"value": "thông_tin"}}}


def test_a_phrase_of_one_kind_is_a_match_phrase_and_a_mixed_one_a_span_near():
    assert phrase_query("text", ("f:bao", "f:lu")) == {"match_phrase": {"text_folded": {"query": "bao lu"}}}
    mixed = phrase_query("text", ("bão", "f:lu"))["span_near"]
    assert mixed["in_order"] is True and mixed["slop"] == 0
    assert mixed["clauses"][0] == {"span_term": {"text_exact": "bão"}}
    assert mixed["clauses"][1] == {"span_field_masking": {"query": {"span_term": {"text_folded": "lu"}},
                                                          "field": "text_exact"}}


def test_proximity_is_an_unordered_span_near_and_a_repeated_word_takes_two_places():
    near = Compiler().query(Near("text", ("f:bao", "lũ"), 3), scored=False)["span_near"]
    assert near["slop"] == 3 and near["in_order"] is False
    twice = Compiler().query(Near("text", ("lũ", "lũ", "f:bao"), 1), scored=False)["span_or"]["clauses"]
    assert len(twice) == 3 and all(c["span_near"]["in_order"] for c in twice)


def test_a_scored_phrase_sums_its_terms_where_it_matches():
    compiled = Compiler().query(Phrase("text", ("f:bao", "f:lu"), boost=0.1))
    assert compiled["bool"]["filter"] == [phrase_query("text", ("f:bao", "f:lu"))]
    assert compiled["bool"]["should"] == [term_query("text", "f:bao"), term_query("text", "f:lu")]
    assert compiled["bool"]["boost"] == 0.1


def test_adjacency_scores_the_pair_as_one_term_and_exclusions_are_must_not():
    assert Compiler().query(Adjacent("text", ("f:bao", "f:lu"), boost=1.2)) == {
        "term": {"text_pairs": {"value": "bao_lu", "boost": 1.2}}}
    compiled = Compiler().query(And((Term("text", "bão"), Not(Term("text", "f:lu")))), scored=False)
    assert compiled == {"bool": {"filter": [term_query("text", "bão")], "must_not": [term_query("text", "f:lu")]}}


def test_the_matching_tree_of_a_typed_query_keeps_its_marks():
    sent = json.dumps(Compiler().query(matching_tree(parse("bão lu"), "all"), scored=False), ensure_ascii=False)
    assert '"text_exact": {"value": "bão"}' in sent and '"text_folded": {"value": "lu"}' in sent
    assert '"bão"' in json.dumps(Compiler().query(ranking_tree(parse("bão lu"), "all")), ensure_ascii=False)


def test_facet_filters_use_folded_keys_the_unknown_bucket_and_year_ranges():
    assert facet_filter("province", ["long an", "Long An"]) == {"terms": {"province_key": ["long an"]}}
    assert facet_filter("category", ["Không rõ"]) == {"bool": {"must_not": [{"exists": {"field": "category_key"}}]}}
    assert facet_filter("year", ["2019..2021"]) == {"range": {"year_number": {"gte": 2019, "lte": 2021}}}


def test_a_cluster_that_does_not_answer_is_one_line(tmp_path):
    with pytest.raises(ClusterUnavailable, match="Không kết nối được OpenSearch"):
        open_index(opensearch="http://127.0.0.1:9/vnsearch")
    result = CliRunner().invoke(manage.cli, ["stats", "--opensearch", "http://127.0.0.1:9/"])
    assert result.exit_code == 1 and result.output.startswith("lỗi: ") and "Traceback" not in result.output


# ---- on a node -------------------------------------------------------------------------

ARTICLES = [
    {"id": "a", "title": "Bão số 5 đổ bộ miền Trung", "text": "Bão lũ gây thiệt hại ở Quảng Nam.",
     "published": "2020-10-01", "province": "Quảng Nam"},
    {"id": "b", "title": "Giá xăng tăng", "text": "Giá xăng tăng lần thứ ba trong tháng.", "published": "2021-03-02"},
]


def _aliases(url: str) -> dict:
    from search.opensearch.connection import client_of

    client, alias = client_of(url)
    return client, alias, client.indices.get_alias(name=alias)


def test_rebuild_moves_the_alias_and_deletes_the_old_index(tmp_path_factory, opensearch_url):
    source = tmp_path_factory.mktemp("swap-source")
    write_articles(source, "a.jsonl", ARTICLES)
    url = built(source, tmp_path_factory, "swap", opensearch_url)
    client, alias, before = _aliases(url)
    index = open_index(url)
    assert index.search(SearchRequest(q="bão")).total == 1
    result = CliRunner().invoke(manage.cli, ["rebuild", "--source", str(source), "--opensearch", url])
    assert result.exit_code == 0, result.output
    _, _, after = _aliases(url)
    assert list(before) != list(after) and len(after) == 1
    assert not client.indices.exists(index=list(before)[0])
    assert open_index(url).search(SearchRequest(q="bão")).total == 1
    assert index.search(SearchRequest(q="bão")).total == 1  # opened before: follows the alias at once


def test_a_rebuild_that_fails_midway_leaves_the_alias_on_the_old_index(tmp_path_factory, opensearch_url,
                                                                      monkeypatch):
    from search.opensearch import build

    source = tmp_path_factory.mktemp("fail-source")
    write_articles(source, "a.jsonl", ARTICLES)
    url = built(source, tmp_path_factory, "fail", opensearch_url)
    client, alias, before = _aliases(url)
    write_articles(source, "b.jsonl", [{"id": "c", "title": "Tin mới", "text": "Một tin mới về bão."}])

    def broken(client, index, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build, "_write_meta", broken)
    with pytest.raises(RuntimeError):
        build.rebuild(source, url)
    _, _, after = _aliases(url)
    assert list(after) == list(before)
    assert open_index(url).search(SearchRequest(q="bão")).total == 1  # the old index serves
    old = list(before)[0]
    assert set(client.indices.get(index=f"{alias}-*")) == {old, old + "-meta"}  # the new pair deleted


def test_update_upserts_changed_articles_and_deletes_gone_ones_by_id(tmp_path_factory, opensearch_url):
    from search.opensearch.build import update

    source = tmp_path_factory.mktemp("update-source")
    write_articles(source, "a.jsonl", ARTICLES[:1])
    write_articles(source, "b.jsonl", ARTICLES[1:])
    url = built(source, tmp_path_factory, "update", opensearch_url)
    index = open_index(url)
    write_articles(source, "a.jsonl", [dict(ARTICLES[0], text="Mưa lũ kéo dài ở Quảng Nam.")])
    (source / "b.jsonl").unlink()
    write_articles(source, "c.jsonl", [{"id": "c", "title": "Khánh thành cầu", "text": "Cầu mới thông xe."}])
    summary = update(source, url)
    assert (summary.added, summary.changed, summary.removed, summary.removed_files) == (1, 1, 1, 1)
    import time
    time.sleep(1.1)  # the searcher looks at the index's version once a second
    assert index.count() == 2
    assert index.search(SearchRequest(q="mưa lũ")).total == 1
    assert index.search(SearchRequest(q="giá xăng")).total == 0
    assert index.get("c").title == "Khánh thành cầu"
    assert index.stats()["articles"] == 2


def test_both_backends_answer_the_same_json_but_for_scores_and_timings(sample_index_dir, tmp_path_factory,
                                                                         opensearch_url):
    cluster = open_index(built(SAMPLES, tmp_path_factory, "same", opensearch_url))
    embedded = open_index(sample_index_dir)
    for q in ("dai hoi", "đại hội", '"thông tin"', "-đại hội", "", "Long An OR Phú Thọ", "province:\"Long An\" đảng"):
        for request in (SearchRequest(q=q), SearchRequest(q=q, sort="oldest"),
                        SearchRequest(q=q, filters={"year": ["2020"]}, size=2, page=2)):
            ours, theirs = cluster.search(request).to_dict(), embedded.search(request).to_dict()
            for doc in (ours, theirs):
                doc.pop("took_ms")
                for hit in doc["hits"]:
                    hit.pop("score")
            assert {k: v for k, v in ours.items() if k != "hits"} == {k: v for k, v in theirs.items() if k != "hits"}
            assert sorted(h["id"] for h in ours["hits"]) == sorted(h["id"] for h in theirs["hits"]) or \
                request.sort == "relevance" and request.page > 1
            if request.sort != "relevance":
                assert ours["hits"] == theirs["hits"]


def test_a_cluster_lists_each_article_as_its_own_group(tmp_path_factory, opensearch_url):
    """No copies are grouped on a cluster (README: differences): group=<id> selects that article,
    and the export gives every row its own id as group with one copy."""
    index = open_index(built(SAMPLES, tmp_path_factory, "groups", opensearch_url))
    every = index.search(SearchRequest(q="", size=50))
    first = every.hits[0].id
    alone = index.search(SearchRequest(q="", group=first))
    assert [h.id for h in alone.hits] == [first] and alone.hits[0].copies == 1
    rows = list(index.export_records(SearchRequest(q="")))
    assert len(rows) == every.total and all(r["group"] == r["id"] and r["copies"] == 1 for r in rows)

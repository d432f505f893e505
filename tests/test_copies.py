"""Republished copies: found at indexing (search/copies.py), kept right by update, collapsed in
results, opened with group=, listed by collapse=false and by exports."""
from __future__ import annotations

import csv
import io
import json
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search import copies, open_index, rebuild, update
from search.errors import BadRequest
from search.export import export_lines
from search.requests import SearchRequest
from search.snapshot import Snapshot
from search.store.copies import copies_file

from copies_data import COPIES, EXACT_WITH_BYLINE, NEW_HEADLINE, ORIGINAL, OTHER, TRIMMED, WITH_BYLINE
from helpers import client_of, write_articles


def shingles_of(article: dict) -> np.ndarray:
    return copies.shingles(copies.text_hashes(article["text"]))


@pytest.mark.parametrize("copy", [NEW_HEADLINE, WITH_BYLINE, TRIMMED], ids=["headline", "byline", "trimmed"])
def test_small_edits_are_the_same_story(copy):
    assert copies.same_story(shingles_of(ORIGINAL), shingles_of(copy))


def test_same_topic_different_story_is_not_a_copy():
    for article in COPIES:
        assert not copies.same_story(shingles_of(article), shingles_of(OTHER))


def test_short_texts_are_never_grouped():
    brief = copies.shingles(copies.text_hashes("Mưa lớn ở Hà Nội chiều nay."))
    assert not copies.same_story(brief, brief)
    assert not copies.eligible(copies.signatures([brief], 1)).any()


def test_signatures_estimate_the_overlap():
    rows = copies.signatures([shingles_of(a) for a in (ORIGINAL, NEW_HEADLINE, OTHER)], 3)
    assert (rows[0] == rows[1]).all()  # the same text
    assert (rows[0] == rows[2]).mean() < 0.2
    pairs = {tuple(p) for p in copies.candidate_pairs(rows).tolist()}
    assert (0, 1) in pairs


def test_groups_join_verified_pairs_transitively():
    sets = [shingles_of(a) for a in COPIES + [OTHER]]
    rows = copies.signatures(sets, len(sets))
    ids = [a["id"] for a in COPIES + [OTHER]]
    groups = copies.group_rows(rows, lambda r: sets[r], lambda members: [ids[m] for m in members])
    assert groups.tolist() == [0, 0, 0, 0, 4]


# ---- the index --------------------------------------------------------------------------------

def _source(tmp_path, articles, name="a.jsonl"):
    source = tmp_path / "source"
    write_articles(source, name, articles)
    return source


def _groups(index_dir) -> dict[str, str]:
    """Article id → its group's id, read as the search side reads it."""
    view = Snapshot.open(index_dir)
    out = {}
    for docnum in np.flatnonzero(view.store.live):
        stored = view.store.stored(int(docnum))
        out[stored["id"]] = view.store.stored(view.store.group_of(int(docnum)))["id"]
    return out


@pytest.fixture(scope="module")
def copies_index(tmp_path_factory):
    source = tmp_path_factory.mktemp("copies-source")
    # the copies in another order than their ids: a group is named by its smallest id, not by source order
    write_articles(source, "a.jsonl", [TRIMMED, OTHER, WITH_BYLINE, ORIGINAL, NEW_HEADLINE])
    index_dir = tmp_path_factory.mktemp("copies-index")
    summary = rebuild(source, index_dir)
    assert summary.copies["groups"] == 1 and summary.copies["articles_in_groups"] == 4
    return index_dir


def test_rebuild_groups_copies_under_the_smallest_id(copies_index):
    groups = _groups(copies_index)
    assert {groups[a["id"]] for a in COPIES} == {"copy-a"}
    assert groups["other-e"] == "other-e"


def test_an_exact_copy_is_indexed_once_not_grouped(tmp_path):
    summary = rebuild(_source(tmp_path, [ORIGINAL, EXACT_WITH_BYLINE, OTHER]), tmp_path / "index")
    assert summary.indexed == 2 and summary.duplicates == 1 and summary.copies["groups"] == 0


def test_group_ids_are_the_same_after_a_rebuild_of_the_same_source(tmp_path):
    source = _source(tmp_path, [OTHER, TRIMMED, NEW_HEADLINE, ORIGINAL])
    rebuild(source, tmp_path / "one")
    rebuild(source, tmp_path / "two", procs=2)
    assert _groups(tmp_path / "one") == _groups(tmp_path / "two")


def test_group_members_of_the_read_side(copies_index):
    view = Snapshot.open(copies_index)
    docnum = view.store.docnum_of("copy-c")
    members = {view.store.stored(int(d))["id"] for d in view.group_members(docnum)}
    assert members == {a["id"] for a in COPIES}
    alone = view.store.docnum_of("other-e")
    assert view.group_members(alone).tolist() == [alone]


def test_generation_holds_the_copies_files(copies_index):
    generation = Snapshot.open(copies_index).generation
    version = Snapshot.open(copies_index).store.version
    manifest = json.loads((generation / "manifest.json").read_text())["files"]
    for kind in ("groups", "minhash", "starts"):
        assert copies_file(version, kind) in manifest
    assert np.load(generation / copies_file(version, "minhash")).shape == (5, copies.NUM_PERM)


def test_update_joins_a_new_copy_and_lets_a_deleted_one_leave(tmp_path):
    source = _source(tmp_path, [ORIGINAL, OTHER], "first.jsonl")
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    assert _groups(index_dir) == {"copy-a": "copy-a", "other-e": "other-e"}

    write_articles(source, "second.jsonl", [TRIMMED, NEW_HEADLINE])
    summary = update(source, index_dir)
    assert summary.copies["signed"] == 2  # the others' signatures were kept from the last grouping
    assert _groups(index_dir) == {"copy-a": "copy-a", "copy-b": "copy-a", "copy-d": "copy-a", "other-e": "other-e"}

    write_articles(source, "first.jsonl", [OTHER])  # the group's first article is gone
    update(source, index_dir)
    assert _groups(index_dir) == {"copy-b": "copy-b", "copy-d": "copy-b", "other-e": "other-e"}

    (source / "second.jsonl").unlink()
    update(source, index_dir)
    assert _groups(index_dir) == {"other-e": "other-e"}


def test_an_update_that_cannot_group_warns_and_a_reader_picks_the_groups_up_later(tmp_path, monkeypatch):
    """Grouping runs after the update's commit: when it fails the update stands with a warning and
    every article shows alone; a reader then sees the groups as soon as they are written."""
    import search.build as build
    from search.copies import group_generation
    from search.store.codec import open_for_update
    from search.store.manifest import write_manifest

    source = _source(tmp_path, [ORIGINAL, OTHER], "first.jsonl")
    index_dir = tmp_path / "index"
    rebuild(source, index_dir)
    searcher = open_index(index_dir)
    write_articles(source, "second.jsonl", [NEW_HEADLINE])

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build, "group_generation", full_disk)
    summary = update(source, index_dir)
    assert any("bản đăng lại" in warning for warning in summary.warnings)
    assert searcher.search(SearchRequest(q="đê biển")).total == 2  # not grouped yet: each alone

    generation = Snapshot.open(index_dir).generation
    group_generation(generation, open_for_update(generation))
    write_manifest(generation)
    assert searcher.search(SearchRequest(q="đê biển")).total == 1


# ---- searching ----------------------------------------------------------------------------------

def test_results_collapse_each_group_to_its_best_hit(copies_index):
    result = open_index(copies_index).search(SearchRequest(q="Quảng Nam"))
    assert result.total == 2 and result.articles == 5
    grouped = [h for h in result.hits if h.copies > 1]
    assert len(grouped) == 1 and grouped[0].copies == 4 and grouped[0].group == "copy-a"
    alone = [h for h in result.hits if h.copies == 1]
    assert [h.id for h in alone] == ["other-e"] and alone[0].group == "other-e"


def test_copies_count_only_the_selected_ones(copies_index):
    result = open_index(copies_index).search(SearchRequest(date_from="2024-03-13", date_to="2024-03-13"))
    assert [h.copies for h in result.hits] == [2] and result.hits[0].id in ("copy-c", "copy-d")


def test_collapse_false_lists_every_copy(copies_index):
    result = open_index(copies_index).search(SearchRequest(q="Quảng Nam", collapse=False))
    assert result.total == 5 and len(result.hits) == 5
    assert {h.group for h in result.hits if h.id != "other-e"} == {"copy-a"}
    assert all(h.copies == 4 for h in result.hits if h.id != "other-e")


def test_group_filter_opens_the_group(copies_index):
    index = open_index(copies_index)
    for named_by in ("copy-a", "copy-d"):  # its id, or any member's
        result = index.search(SearchRequest(group=named_by, sort="oldest"))
        assert sorted(h.id for h in result.hits) == ["copy-a", "copy-b", "copy-c", "copy-d"]
        assert result.total == 4 and not result.collapse
    unknown = index.search(SearchRequest(group="no-such-article"))
    assert unknown.total == 0 and any("no-such-article" in n for n in unknown.notices)


def test_collapse_follows_the_sort(copies_index):
    """Newest first, the group shows its newest member."""
    result = open_index(copies_index).search(SearchRequest(q="", sort="newest"))
    assert len(result.hits) == 2 and result.hits[0].id == "other-e"
    assert result.hits[1].id in ("copy-c", "copy-d") and result.hits[1].copies == 4


def test_bad_collapse_or_group_is_a_bad_request(copies_index):
    index = open_index(copies_index)
    with pytest.raises(BadRequest):
        index.search(SearchRequest(collapse="maybe"))
    with pytest.raises(BadRequest):
        index.search(SearchRequest(group="x" * 5000))


def test_export_lists_every_copy_with_its_group(copies_index):
    records = list(open_index(copies_index).export_records(SearchRequest(q="Quảng Nam")))
    assert len(records) == 5
    assert {r["id"]: r["group"] for r in records} == {"copy-a": "copy-a", "copy-b": "copy-a", "copy-c": "copy-a",
                                                       "copy-d": "copy-a", "other-e": "other-e"}
    rows = list(csv.DictReader(io.StringIO("".join(export_lines(records, "csv")).lstrip("\ufeff"))))
    assert {row["id"]: (row["group"], row["copies"]) for row in rows}["copy-b"] == ("copy-a", "4")
    lines = [json.loads(line) for line in export_lines(records, "jsonl")]
    assert lines[0]["group"] and lines[0]["copies"] >= 1


# ---- the web ------------------------------------------------------------------------------------

def test_api_gives_each_hit_its_group_and_copies(copies_index):
    client = client_of(copies_index)
    doc = client.get("/api/search?q=Quảng+Nam").get_json()
    assert doc["total"] == 2 and doc["articles"] == 5 and doc["collapse"] is True
    assert sorted((h["group"], h["copies"]) for h in doc["hits"]) == [("copy-a", 4), ("other-e", 1)]
    every = client.get("/api/search?q=Quảng+Nam&collapse=false").get_json()
    assert every["total"] == 5 and every["collapse"] is False
    group = client.get("/api/search?group=copy-a").get_json()
    assert group["total"] == 4 and group["filters"]["group"] == "copy-a"
    bad = client.get("/api/search?collapse=maybe")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"


def test_page_links_the_copies_to_their_group(copies_index):
    client = client_of(copies_index)
    html = client.get("/search?q=Quảng+Nam").get_data(as_text=True)
    assert "3 bản đăng lại" in html and "group=copy-a" in html
    assert "Hiện cả các bản đăng lại" in html
    opened = client.get("/search?q=Quảng+Nam&group=copy-a").get_data(as_text=True)
    assert "Nhóm bản đăng lại" in opened and opened.count('class="hit"') == 4
    assert "bản đăng lại</a>" not in opened  # inside the group no hit links to it again
    every = client.get("/search?q=Quảng+Nam&collapse=false").get_data(as_text=True)
    assert every.count('class="hit"') == 5 and "Gộp các bản đăng lại" in every


def test_export_endpoint_has_the_group_column(copies_index):
    response = client_of(copies_index).get("/api/export?q=Quảng+Nam&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 5 and {row["group"] for row in rows} == {"copy-a", "other-e"}


def test_cli_search_collapses_and_opens_a_group(copies_index):
    from click.testing import CliRunner

    from vnsearch_cli import cli

    runner = CliRunner()
    collapsed = runner.invoke(cli, ["search", "Quảng Nam", "--index", str(copies_index), "--json"])
    assert collapsed.exit_code == 0 and json.loads(collapsed.output)["total"] == 2
    every = runner.invoke(cli, ["search", "Quảng Nam", "--no-collapse", "--index", str(copies_index), "--json"])
    assert json.loads(every.output)["total"] == 5
    text = runner.invoke(cli, ["search", "Quảng Nam", "--index", str(copies_index)])
    assert "Tìm thấy 5 bài viết (2 sau khi gộp bản đăng lại)" in text.output
    assert "3 bản đăng lại (--group copy-a)" in text.output
    group = runner.invoke(cli, ["search", "--group", "copy-b", "--index", str(copies_index), "--export", "jsonl"])
    assert sorted(json.loads(line)["id"] for line in group.output.splitlines()) == ["copy-a", "copy-b", "copy-c",
                                                                                     "copy-d"]
    stats = runner.invoke(cli, ["stats", "--index", str(copies_index), "--json"])
    assert json.loads(stats.output)["copies"] == {"groups": 1, "articles_in_groups": 4}


# ---- the labelled pairs (bench/duplicates.py) ----------------------------------------------------

def test_labelled_pairs_are_many_both_ways_and_name_their_articles():
    from helpers import load_bench

    pairs = load_bench("duplicates").read_pairs()
    assert len(pairs) >= 150 and len({(p["a"], p["b"]) for p in pairs}) == len(pairs)
    assert sum(p["same"] for p in pairs) >= 50 and sum(not p["same"] for p in pairs) >= 50
    assert all(p["a"] != p["b"] and p["why"] and p["corpus_a"] and p["corpus_b"] for p in pairs)


@pytest.mark.slow
def test_grouping_meets_its_targets_on_the_labelled_pairs():
    from types import SimpleNamespace

    from helpers import SHARED, load_bench

    corpora = SHARED / "corpora"
    if not (corpora / "vntc_news" / "docs.jsonl.gz").exists():
        pytest.skip("the corpora are not here (/work/shared/corpora)")
    bench = load_bench("duplicates")
    result = bench.labelled(SimpleNamespace(pairs=str(bench.PAIRS), corpora=str(corpora), index=None))
    assert result["pairs"] >= 150
    assert result["precision"] >= 0.95 and result["recall"] >= 0.85, result


NUM_PERM_TEST = 8  # values repeated to fill a signature: bands collide often


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=NUM_PERM_TEST, max_size=NUM_PERM_TEST), min_size=0, max_size=30))
def test_candidate_pairs_are_every_pair_sharing_a_band(values):
    """LSH candidates, as computed over sorted band keys, against every pair compared band by band."""
    from search.copies import BANDS, ROWS, NUM_PERM, band_keys, candidate_pairs
    import numpy as np
    rows = np.array([(v * (NUM_PERM // NUM_PERM_TEST + 1))[:NUM_PERM] for v in values], dtype=np.uint32).reshape(-1, NUM_PERM)
    found = {tuple(p) for p in candidate_pairs(rows).tolist()} if len(rows) else set()
    keys = band_keys(rows) if len(rows) else None
    truth = {(a, b) for a in range(len(rows)) for b in range(a + 1, len(rows)) if (keys[a] == keys[b]).any()}
    assert found == truth


def test_related_leaves_out_the_articles_group(copies_index):
    """copies_of (what related articles never list) holds every member of the article's group."""
    from search.related import copies_of
    view = Snapshot.open(copies_index)
    docnum = view.store.docnum_of("copy-b")
    assert {view.store.stored(int(d))["id"] for d in copies_of(view, docnum)} == {a["id"] for a in COPIES}
    related = open_index(copies_index).related("copy-b")
    assert not {h.id for h in related.hits} & {a["id"] for a in COPIES}

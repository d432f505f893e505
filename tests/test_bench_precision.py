"""The truths of the precision benchmark (bench/precision.py) on hand-made articles: which
articles a query's syllables and words select, without any index or engine."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import load_bench

BENCH = Path(__file__).resolve().parent.parent / "bench"




precision = load_bench("precision")

ARTICLES = [
    ("storm", "Cơn bão số 9 đổ bộ", "Mưa lớn kéo dài ở miền Trung."),
    ("forecast", "Dự báo thời tiết", "Trời nắng, không có mưa."),
    ("flood", "Bão lũ miền Trung", "Nhiều tỉnh ngập sâu."),
    ("apart", "Bão đã tan", "Lũ vẫn dâng cao ở miền Bắc, miền Trung chưa có mưa."),
    ("reversed", "Miền Trung oằn mình", "Sau bão, lũ tràn về; bão lũ dồn dập."),
    ("fake", "Bắt giữ xăng giả", "Cửa hàng bán xăng giả bị phạt."),
    ("price", "Giá xăng tăng", "Giá xăng RON 92 tăng 500 đồng."),
    ("name", "Đường Phạm Văn Đồng", "Cây xanh trên đường Phạm Văn Đồng được di dời."),
    ("scattered", "Hợp đồng sản phẩm", "Ông Phạm Văn Tuấn ký hợp đồng tại Quảng Ninh."),
    ("tone", "Khánh Hoà đón khách", "Du khách đến Khánh Hòa tăng."),
]


@pytest.fixture(scope="module")
def truths():
    return precision.Truths(ARTICLES)


def selected(truths, numbers) -> set[str]:
    return {truths.ids[n] for n in numbers}


def test_marked_syllable_finds_that_syllable_only(truths):
    found = selected(truths, truths.precision_set("bão"))
    assert "storm" in found
    assert "forecast" not in found  # "dự báo" is báo, not bão


def test_unmarked_syllable_finds_every_accented_form(truths):
    assert {"storm", "forecast", "flood"} <= selected(truths, truths.precision_set("bao"))


def test_stripped_query_folds_d_bar():
    assert precision.strip_marks("Đà Nẵng đảng") == "Da Nang dang"
    assert all(not s.marked for s in precision.query_syllables("dai hoi dang bo"))


def test_mixed_marks_each_syllable_by_itself(truths):
    # "bão lu": bão exactly, lu as any of its forms (lũ here).
    assert {"flood", "apart", "reversed"} <= selected(truths, truths.precision_set("bão lu"))
    assert "forecast" not in selected(truths, truths.precision_set("bão lu"))


def test_precision_truth_needs_no_adjacency(truths):
    assert {"flood", "apart", "reversed"} == selected(truths, truths.precision_set("bão lũ miền Trung"))


def test_recall_truth_needs_each_word_side_by_side(truths):
    found = selected(truths, truths.recall_set(["bão lũ", "miền Trung"]))
    assert found == {"flood", "reversed"}  # "apart" holds the syllables, not the word "bão lũ"


def test_recall_truth_takes_words_in_any_order(truths):
    assert truths.recall_set(["miền Trung", "bão lũ"]) == truths.recall_set(["bão lũ", "miền Trung"])


def test_side_by_side_skips_punctuation_but_not_syllables(truths):
    assert "reversed" in selected(truths, truths.recall_set(["bão lũ"]))
    assert precision.holds_sequence("bão lũ", "", "Sau bão, lũ tràn về")
    assert not precision.holds_sequence("bão lũ", "", "Sau bão to lũ tràn về")


def test_typed_marks_keep_words_apart(truths):
    assert selected(truths, truths.recall_set(["giá xăng"])) == {"price"}
    assert "price" not in selected(truths, truths.precision_set("xăng giả"))


def test_names_need_the_whole_name_side_by_side(truths):
    # "scattered" holds phạm, văn and đồng ("hợp đồng"), apart: every syllable, not the name.
    assert {"name", "scattered"} == selected(truths, truths.precision_set("Phạm Văn Đồng"))
    assert selected(truths, truths.recall_set(["Phạm Văn Đồng"])) == {"name"}
    assert selected(truths, truths.recall_set(["Pham Van Dong"])) == {"name"}


def test_whole_syllables_only(truths):
    assert "storm" not in selected(truths, truths.precision_set("cơ"))  # "Cơn" is not "cơ"


def test_tone_placement_and_case_are_normalised(truths):
    assert selected(truths, truths.recall_set(["Khánh Hòa"])) == {"tone"}
    assert selected(truths, truths.recall_set(["khánh hoà"])) == {"tone"}


def test_why_not_precise_names_what_the_article_holds_instead(truths):
    assert truths.why_not_precise(truths.number["forecast"], "bão") == "bão→báo"


@pytest.mark.parametrize("query", ["bão", "bao", "bão lu", "giá xăng", "xăng giả", "Phạm Văn Đồng", "Khánh Hòa",
                                   "miền Trung", "dang"])
def test_postings_agree_with_article_by_article_truths(truths, query):
    precise = {a for a, title, text in ARTICLES if precision.holds_every_syllable(query, title, text)}
    assert selected(truths, truths.precision_set(query)) == precise
    words = query.split()
    complete = {a for a, title, text in ARTICLES if precision.holds_every_word([query], title, text)}
    assert selected(truths, truths.recall_set([query])) == complete
    assert truths.recall_set(words) <= truths.precision_set(query)


def test_reorderings_keep_each_word_whole():
    query = precision.Query("bão lũ miền Trung", ("bão lũ", "miền Trung"), "multi-word", reorder=True)
    assert [" ".join(o) for o in query.reorderings()] == ["miền Trung bão lũ"]
    stripped = query.form("stripped")
    assert stripped.q == "bao lu mien Trung" and stripped.words == ("bao lu", "mien Trung")


def test_queries_file_is_well_formed():
    queries = precision.load_queries()  # raises when a query's words are not its syllables in order
    assert len(queries) >= 40
    assert len({q.q for q in queries}) == len(queries)
    assert any(q.quick for q in queries) and any(q.name for q in queries) and any(q.reorder for q in queries)


def test_load_queries_rejects_words_that_are_not_the_query(tmp_path):
    bad = tmp_path / "queries.json"
    bad.write_text(json.dumps({"queries": [{"q": "bão lũ", "words": ["lũ", "bão"], "kind": "x"}]}))
    with pytest.raises(ValueError):
        precision.load_queries(bad)


def test_scores_on_hand_made_sets(truths):
    run = precision.EngineRun("bão", ids=["storm", "forecast"], total=2, matching="all", accents=None,
                              first_page=["storm", "forecast"], newest=["forecast", "storm"], seconds=0.0)
    scored = precision.score(precision.Query("bão", ("bão",), "ambiguous"), "typed", run, truths)
    assert scored.precision == 0.5  # "forecast" holds báo, not bão
    assert (scored.p_size, scored.r_size) == (4, 4)
    assert scored.recall == 0.25  # flood, apart and reversed hold bão too, and are missing
    assert scored.newest_p10 == 0.5
    assert scored.imprecise == {"bão→báo": 1}


def test_jaccard():
    assert precision.jaccard(["a", "b"], ["b", "a"]) == 1.0
    assert precision.jaccard(["a"], ["a", "b"]) == 0.5
    assert precision.jaccard([], []) == 1.0


def _run(ids, matching="all", first_page=None):
    return precision.EngineRun("", ids=list(ids), total=len(ids), matching=matching, accents=None,
                               first_page=list(first_page if first_page is not None else ids)[:10],
                               newest=list(ids)[:10], seconds=0.0)


def test_allowed_fallback_leaves_precision_unmeasured(truths):
    query = precision.Query("bão lũ miền Bắc", ("bão lũ", "miền Bắc"), "multi-word")
    scored = precision.score(query, "typed", _run(["apart", "storm"], matching="any"), truths)
    assert scored.r_size == 0 and scored.fallback
    assert scored.precision is None and scored.newest_p10 is None and scored.recall == 1.0
    assert precision.mean([scored.precision, 0.5]) == 0.5


def test_fallback_while_an_article_holds_every_word_is_scored(truths):
    query = precision.Query("bão lũ miền Trung", ("bão lũ", "miền Trung"), "multi-word")
    scored = precision.score(query, "typed", _run(["flood", "storm"], matching="any"), truths)
    assert not scored.fallback
    assert scored.precision == 0.5 and scored.recall == 0.5


def test_names_precision_looks_at_as_many_hits_as_articles_name_them(truths):
    query = precision.Query("Phạm Văn Đồng", ("Phạm Văn Đồng",), "name", name=True)
    assert precision.score(query, "typed", _run(["scattered", "name"]), truths).names_p10 == 0.0
    assert precision.score(query, "typed", _run(["name", "scattered"]), truths).names_p10 == 1.0


def test_words_no_article_holds_are_cut_into_runs_some_article_holds(truths):
    assert truths.words_found(["bão lũ dâng"]) == ("bão lũ", "dâng")
    assert truths.words_found(["xăng bão"]) == ("xăng", "bão")
    # "giả xăng" folds to "gia xang", which "Giá xăng tăng" holds: a vocabulary could hold it.
    assert truths.words_found(["giả xăng", "miền Trung"]) == ("giả xăng", "miền Trung")


def test_marks_ignored_when_nothing_holds_them_is_judged_without_marks(truths):
    query = precision.Query("xăng giá", ("xăng giá",), "compound")
    run = precision.EngineRun("xăng giá", ids=["fake"], total=1, matching="all", accents="ignored",
                              first_page=["fake"], newest=["fake"], seconds=0.0)
    scored = precision.score(query, "typed", run, truths)
    assert scored.precision == 1.0 and scored.recall == 1.0
    assert any("allowed" in note for note in scored.notes)


def test_marks_ignored_while_articles_hold_them_is_judged_with_marks(truths):
    run = precision.EngineRun("bão", ids=["forecast"], total=1, matching="all", accents="ignored",
                              first_page=["forecast"], newest=["forecast"], seconds=0.0)
    scored = precision.score(precision.Query("bão", ("bão",), "ambiguous"), "typed", run, truths)
    assert scored.precision == 0.0 and scored.recall == 0.0

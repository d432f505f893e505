"""The small pure pieces of the relevance benchmark (bench/relevance.py): ranking metrics,
the accent stripper, the BM25 and FTS5 baselines on toy documents, segmentation scoring."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from helpers import load_bench

BENCH = Path(__file__).resolve().parent.parent / "bench"




relevance = load_bench("relevance")

TOY = relevance.RetrievalSet(
    name="toy",
    passages_path=Path("toy.jsonl.gz"),
    passages=[
        relevance.Passage("hanoi", "Hà Nội", "Hà Nội là thủ đô của Việt Nam, thành phố nghìn năm văn hiến."),
        relevance.Passage("hue", "", "Huế là cố đô của Việt Nam, nổi tiếng với đại nội và sông Hương."),
        relevance.Passage("covid", "", "Tiêm vaccine Covid-19 cần khám sàng lọc trước khi tiêm."),
    ],
    questions=[],
)


@pytest.mark.parametrize(
    "ranked, relevant, expected",
    [
        (["a", "b", "c"], {"a"}, 1.0),
        (["x", "a", "c"], {"a"}, 0.5),
        (["x", "y", "a"], {"a", "y"}, 0.5),  # the first relevant one counts
        (["x", "y", "z"], {"a"}, 0.0),
        ([f"x{i}" for i in range(10)] + ["a"], {"a"}, 0.0),  # rank 11 is outside the top 10
        ([], {"a"}, 0.0),
    ],
)
def test_reciprocal_rank_is_one_over_the_first_relevant_rank(ranked, relevant, expected):
    assert relevance.reciprocal_rank(ranked, relevant) == pytest.approx(expected)


def test_recall_counts_the_share_of_relevant_ids_in_the_top_ten():
    assert relevance.recall_at(["a", "x", "b"], {"a", "b", "c", "d"}) == pytest.approx(0.5)
    assert relevance.recall_at(["x"] * 10 + ["a"], {"a"}) == 0.0
    assert relevance.recall_at(["a"], set()) == 0.0


def test_ndcg_is_one_for_an_ideal_ranking_and_discounts_lower_ranks():
    assert relevance.ndcg_at(["a", "b", "x"], {"a", "b"}) == pytest.approx(1.0)
    assert relevance.ndcg_at(["x", "a"], {"a"}) == pytest.approx(1 / math.log2(3))
    # two relevant, one found at rank 2: (1/log2 3) / (1 + 1/log2 3)
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert relevance.ndcg_at(["x", "a", "y"], {"a", "b"}) == pytest.approx(expected)
    assert relevance.ndcg_at(["x", "y"], {"a"}) == 0.0


def test_ndcg_ideal_is_capped_at_ten_relevant_documents():
    relevant = {f"r{i}" for i in range(15)}
    assert relevance.ndcg_at(sorted(relevant)[:10], relevant) == pytest.approx(1.0)


def test_scores_average_over_questions():
    scores = relevance.Scores()
    scores.add(["a"], frozenset({"a"}))
    scores.add(["x", "b"], frozenset({"b"}))
    mrr, recall, ndcg = scores.means()
    assert mrr == pytest.approx(0.75)
    assert recall == pytest.approx(1.0)
    assert ndcg == pytest.approx((1 + 1 / math.log2(3)) / 2)


@pytest.mark.parametrize(
    "typed, stripped",
    [
        ("Đại hội Đảng bộ", "Dai hoi Dang bo"),
        ("đường Trương Định", "duong Truong Dinh"),
        ("Thủ tướng Ấn Độ hiện tại là ai?", "Thu tuong An Do hien tai la ai?"),
        ("thuý hoà khoẻ quý giữ", "thuy hoa khoe quy giu"),
        ("Covid-19 vaccine", "Covid-19 vaccine"),
    ],
)
def test_strip_diacritics_drops_every_mark_and_d_stroke(typed, stripped):
    assert relevance.strip_diacritics(typed) == stripped


def test_strip_diacritics_handles_decomposed_input():
    import unicodedata

    assert relevance.strip_diacritics(unicodedata.normalize("NFD", "Nguyễn Đức Hưởng")) == "Nguyen Duc Huong"


def test_syllables_are_lower_cased_word_runs():
    assert relevance.syllables("Covid-19: Tiêm VACCINE?") == ["covid", "19", "tiêm", "vaccine"]
    assert relevance.folded_syllables("Đại Hội") == ["dai", "hoi"]


def test_bm25_ranks_the_passage_with_the_rare_query_terms_first():
    bm25 = relevance.BM25System()
    bm25.build(TOY)
    assert bm25.query("cố đô sông Hương")[0] == "hue"
    assert bm25.query("tiêm vaccine")[0] == "covid"
    assert bm25.query("thủ đô")[0] == "hanoi"  # title + text: "Hà Nội" twice
    assert bm25.query("không có từ nào") == []


def test_bm25_scores_follow_the_okapi_formula():
    bm25 = relevance.BM25System()
    bm25.index([("a", "x y"), ("b", "y z z"), ("c", "w")])
    n, average = 3, (2 + 3 + 1) / 3
    idf = math.log(1 + (n - 1 + 0.5) / (1 + 0.5))
    tf, length = 2, 3
    expected = idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * length / average))
    numbers, term_idf, weights = bm25.postings["z"]
    assert list(numbers) == [1]
    assert term_idf * weights[0] == pytest.approx(expected)
    assert bm25.query("z x") in (["b", "a"], ["a", "b"])
    assert bm25.query("y") == ["a", "b"]  # same tf, shorter document first


def test_accented_bm25_misses_accentless_queries_but_folded_bm25_finds_them():
    accented, folded = relevance.BM25System(), relevance.FoldedBM25System()
    accented.build(TOY)
    folded.build(TOY)
    question = relevance.strip_diacritics("cố đô sông Hương")
    assert "hue" not in accented.query(question)[:1]
    assert folded.query(question)[0] == "hue"


def test_fts5_baseline_folds_marks_but_not_d_stroke(tmp_path):
    fts5 = relevance.FTS5System()
    fts5.build(TOY, tmp_path)
    assert fts5.query("sông Hương")[0] == "hue"
    assert fts5.query("song Huong")[0] == "hue"
    assert fts5.query('"; DROP TABLE passages; --') == []  # terms are quoted, never syntax
    fts5.close()


def test_whoosh_baseline_answers_with_passage_ids(tmp_path):
    whoosh = relevance.WhooshStandardSystem()
    whoosh.build(TOY, tmp_path)
    assert whoosh.query("cố đô sông Hương: (Huế)?")[0] == "hue"
    whoosh.close()


def test_segmentation_spans_compare_words_on_syllable_boundaries():
    raw = "Có lẽ vì lịch sự Hùng cũng nói ."
    stream = "".join(raw.split()).casefold()
    gold = relevance.word_spans(["Có lẽ", "vì", "lịch sự", "Hùng", "cũng", "nói", "."], stream)
    assert len(gold) == 6  # punctuation is left out
    predicted = relevance.word_spans(["Có lẽ", "vì", "lịch", "sự", "Hùng", "cũng nói"], stream)
    score = relevance.SegmentationScore()
    score.add(predicted, gold)
    precision, recall, f1 = score.prf()
    assert (score.correct, score.predicted, score.gold) == (3, 6, 6)
    assert f1 == pytest.approx(0.5)


def test_segmentation_counts_an_unalignable_word_as_wrong():
    stream = "hàđông"
    spans = relevance.word_spans(["hà", "tây", "đông"], stream)
    assert (0, 2) in spans and (2, 6) in spans
    assert len(spans) == 3


def test_averages_cover_only_systems_run_on_every_set():
    result = relevance.RunResult("s1", "bm25", 0.0)
    for form in relevance.QUERY_FORMS:
        scores = relevance.Scores()
        scores.add(["a"], frozenset({"a"}))
        result.scores[form] = scores
    assert relevance.averages([result], "bm25", "accented", ["s1"]) == (1.0, 1.0, 1.0)
    assert relevance.averages([result], "bm25", "accented", ["s1", "s2"]) is None


def test_limit_samples_questions_evenly_through_the_file():
    assert relevance.evenly_spaced(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert relevance.evenly_spaced(list(range(3)), 5) == [0, 1, 2]
    assert relevance.evenly_spaced(list(range(3)), None) == [0, 1, 2]

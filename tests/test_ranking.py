"""How questions rank: question words weigh little, the question's wording counts, variants count once."""
import numpy as np
import pytest
from helpers import index_of
from search import open_index
from search import query as Q
from search.query.tree import Adjacent, DisjunctionMax, Or, Term
from search.ranking import robertson_idf
from search.requests import SearchRequest
from search.snapshot import Snapshot

ARTICLES = [
    # "bao nhiêu" is as rare as "sông Hồng" here: at full weight the question words would win.
    {"id": "r-bait", "title": "", "text": "Giá vàng hôm nay bao nhiêu? Mua bao nhiêu thì đủ, giữ dài hay ngắn hạn?"},
    {"id": "r-river", "title": "", "text": "Sông Hồng bắt nguồn từ Vân Nam, chảy qua Hà Nội rồi ra biển."},
    {"id": "r-lake", "title": "", "text": "Hồ Gươm nằm giữa Hà Nội, gần phố cổ."},
    {"id": "r-boat", "title": "", "text": "Thuyền chở khách trên hồ chạy từ sáng đến tối."},
    # The same syllables; only r-order has the question's wording "tiêm vắc xin mũi ba".
    {"id": "r-scattered", "title": "", "text": "Mũi xin vắc ba tiêm: người dân hỏi, trạm y tế trả lời."},
    {"id": "r-order", "title": "", "text": "Người dân hỏi tiêm vắc xin mũi ba ở trạm y tế: trả lời."},
    {"id": "r-city", "title": "", "text": "TP.HCM, tức Sài Gòn, mưa lớn chiều nay."},
    {"id": "r-city2", "title": "", "text": "Ở TP.HCM chiều nay mưa lớn kéo dài."},
]


@pytest.fixture(scope="module")
def ranking_index(tmp_path_factory):
    return open_index(index_of(tmp_path_factory, ARTICLES, "ranking"))


def ids(index, q):
    return [h.id for h in index.search(SearchRequest(q=q, size=20)).hits]


def test_question_words_do_not_outrank_the_subject(ranking_index):
    assert ids(ranking_index, "sông Hồng dài bao nhiêu km")[0] == "r-river"
    assert ids(ranking_index, "song hong dai bao nhieu km")[0] == "r-river"


def test_a_question_word_alone_is_searched_as_a_word(ranking_index):
    assert ids(ranking_index, "bao nhiêu") == ["r-bait"]


@pytest.mark.parametrize("q, asking", [
    ("sông Hồng dài bao nhiêu", {"bao nhiêu"}),
    ("ai là thủ tướng", {"ai"}),
    ('"là gì" vậy', {"vậy"}),  # a quoted phrase is asked for as typed
])
def test_question_share_of_each_word(q, asking):
    units = Q.parse(q).units
    assert {" ".join(u.syllables): Q.question_share(u) for u in units} == {
        " ".join(u.syllables): float(" ".join(u.syllables) in asking and not u.phrase) for u in units}


def test_only_question_words_are_weighed_down_and_only_beside_other_words():
    parsed = Q.parse("sông Hồng dài bao nhiêu")
    clauses = Q.ranking_tree(parsed, "any").children[:len(parsed.units)]
    boosts = {" ".join(u.syllables): c.boost for u, c in zip(parsed.units, clauses)}
    assert boosts.pop("bao nhiêu") == pytest.approx(Q.DEFAULT_WEIGHTS.question)
    assert set(boosts.values()) == {1.0}
    alone = Q.parse("bao nhiêu")
    assert Q.ranking_tree(alone, "all").children[0].boost == 1.0


def test_pairs_run_across_words_and_stop_at_quoted_phrases():
    tree = Q.ranking_tree(Q.parse('thủ tướng Nhật Bản "là ai" hiện nay'), "all")
    pairs = [tuple(q.children[1].words) for q in tree.children
             if isinstance(q, Or) and q.children and all(isinstance(x, Adjacent) for x in q.children)]
    assert pairs == [("f:thu", "f:tuong"), ("f:tuong", "f:nhat"), ("f:nhat", "f:ban"), ("f:hien", "f:nay")]


def test_the_questions_wording_ranks_above_scattered_syllables(ranking_index):
    assert ids(ranking_index, "tiêm vắc xin mũi ba")[0] == "r-order"


def test_an_adjacent_pair_scores_its_own_idf_once_per_article(ranking_index):
    engine = Snapshot.open(ranking_index.index_dir).engine
    mask, scores = engine.scores(Adjacent("text", ("f:vac", "f:xin")))
    assert mask.sum() == 1  # r-scattered has both syllables, not next to each other
    assert np.allclose(scores[mask], robertson_idf(1, engine.size))
    assert not scores[~mask].any()


def test_variants_of_one_word_count_once(ranking_index):
    engine = Snapshot.open(ranking_index.index_dir).engine
    a, b = Term("text", "f:mua"), Term("text", "f:lon")
    best = engine.scores(DisjunctionMax((a, b)))[1]
    assert np.allclose(best, np.maximum(engine.scores(a)[1], engine.scores(b)[1]))
    unit = Q.parse("TPHCM").units[0]
    assert isinstance(Q.unit_query(unit), DisjunctionMax)

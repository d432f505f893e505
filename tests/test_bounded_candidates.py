"""Word-order checks limited to candidate documents (store/forward.py, engine.py) find what the
unlimited computation finds: the positions inside candidates, the phrase and pair matches, the
scores and the top results, whether the occurrences are computed afresh or reused from a
request's memo (title and text, matching and ranking share them)."""
import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import index_of
from search.query.tree import Adjacent, Or, Phrase, Term
from search.requests import SearchRequest
from search.snapshot import Snapshot
from search.store.forward import FORWARD, Forward, _ranges, phrase_syllables
from search.analysis import exact_term, folded_term


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5)), max_size=40))
def test_ranges_are_the_concatenated_index_ranges(pairs):
    low = np.array([a for a, _ in pairs], dtype=np.int64)
    high = np.array([a + n for a, n in pairs], dtype=np.int64)
    expected = [i for a, n in pairs for i in range(a, a + n)]
    assert _ranges(low, high).tolist() == expected


@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 12)), min_size=1, max_size=25),
       gaps=st.lists(st.integers(0, 3), min_size=25, max_size=25), seed=st.integers(0, 10_000),
       share=st.floats(0, 1), hit_share=st.floats(0, 1))
def test_hits_within_candidates_are_those_whose_document_is_a_candidate(tmp_path_factory, lengths, gaps, seed,
                                                                        share, hit_share):
    """Documents in any docnum order, with gaps between them (what a merge leaves): each hit is
    kept exactly when the document whose range holds it is a candidate."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)  # the file's order of documents is not their docnum order
    starts = np.zeros(len(lengths), dtype=np.int64)
    at = 0
    for place, doc in enumerate(order):
        at += gaps[place]
        starts[doc] = at
        at += lengths[doc][0] + lengths[doc][1] + 2
    folder = tmp_path_factory.mktemp("within")
    np.ones(at + 1, dtype=np.uint32).tofile(folder / FORWARD)
    title = np.array([t for t, _ in lengths], dtype=np.int64)
    text = np.array([x for _, x in lengths], dtype=np.int64)
    forward = Forward(folder, starts, title, text, np.ones(len(lengths), dtype=bool))
    candidates = np.array([rng.random() < share for _ in lengths], dtype=bool)
    hits = np.array([p for p in range(at + 1) if rng.random() < hit_share], dtype=np.int64)
    owner = {p: d for d in range(len(lengths)) for p in range(starts[d], starts[d] + title[d] + text[d] + 2)}
    expected = [p for p in hits.tolist() if p in owner and candidates[owner[p]]]
    assert hits[forward._within(hits, candidates)].tolist() == expected


ARTICLES = [
    {"id": f"a{i}", "title": title, "text": text}
    for i, (title, text) in enumerate([
        ("Quốc hội họp phiên đầu", "Các đại biểu quốc hội thảo luận về luật đất đai và quốc phòng."),
        ("Hội nghị quốc tế", "Hội nghị bàn về thương mại quốc tế, quốc hội không dự."),
        ("Bóng đá nữ thắng lớn", "Đội tuyển bóng đá nữ thắng trận chung kết; bóng chuyền thua."),
        ("Giá vàng hôm nay", "Giá vàng trong nước tăng, vàng thế giới giảm nhẹ."),
        ("Thế giới tuần qua", "Tin thế giới: giá dầu, quốc hội Mỹ và bóng đá châu Âu."),
        ("Chung kết bóng đá", "Trận chung kết diễn ra tối qua, đội khách thắng bóng đá."),
        ("Đất đai và nhà ở", "Luật đất đai sửa đổi được quốc hội thông qua."),
        ("Hoi nghi khong dau", "Bai viet viet khong dau ve quoc hoi va bong da."),
    ] * 3)
]


def _index(tmp_path_factory):
    return index_of(tmp_path_factory, ARTICLES, "bounded")


def test_phrase_matches_are_the_same_limited_or_not_with_a_shared_memo_or_kept(tmp_path_factory):
    view = Snapshot.open(_index(tmp_path_factory))
    engine, forward = view.engine, view.store.forward
    forward._kept.limit = 0  # nothing kept between calls: each path below computes its own
    keeping = Snapshot.open(_index(tmp_path_factory)).store.forward
    computed = []
    found_by = keeping._occurrences
    keeping._occurrences = lambda *args: computed.append(args) or found_by(*args)
    everything = np.ones(engine.size, dtype=bool)
    sequences = [("quốc", "hội"), ("bóng", "đá"), ("chung", "kết"), ("đất", "đai"), ("thế", "giới"),
                 ("hội", "nghị"), ("quốc", "hội", "thảo"), ("vàng", "thế", "giới"), ("hoi", "nghi")]
    shared: dict = {}
    for words in sequences:
        for terms in ([folded_term(w) for w in words], [exact_term(w) for w in words]):
            syllables = phrase_syllables(terms)
            for field in ("title", "text"):
                holding = engine._holding(field, terms)
                unlimited = forward.phrase(field, syllables, everything, None) & holding
                limited = forward.phrase(field, syllables, holding, None)
                for docnum in np.flatnonzero(holding)[:3]:  # a single candidate: the ranges path
                    one = np.zeros(engine.size, dtype=bool)
                    one[docnum] = True
                    assert forward.phrase(field, syllables, one, None).tolist() == (unlimited & one).tolist()
                assert limited.tolist() == unlimited.tolist()
                assert forward.phrase(field, syllables, holding, shared).tolist() == unlimited.tolist()
                # Found over the whole file once, then kept for later requests (no memo shared).
                first = keeping.phrase(field, syllables, everything, None) & holding
                before = len(computed)
                assert (keeping.phrase(field, syllables, everything, None) & holding).tolist() == unlimited.tolist()
                assert keeping.phrase(field, syllables, holding, None).tolist() == unlimited.tolist()
                assert first.tolist() == unlimited.tolist() and len(computed) == before
                phrase = engine.matches(Phrase(field, tuple(terms)), shared)
                assert phrase.tolist() == (unlimited & view.columns.live).tolist()


def test_pair_bonuses_and_phrase_scores_match_a_fresh_computation(tmp_path_factory):
    view = Snapshot.open(_index(tmp_path_factory))
    engine = view.engine
    pairs = [("quoc", "hoi"), ("bong", "da"), ("the", "gioi"), ("dat", "dai")]
    tree = Or(tuple(
        [Adjacent(field, tuple(folded_term(w) for w in pair), boost=1.5) for pair in pairs for field in ("title", "text")]
        + [Phrase("text", (exact_term("quốc"), exact_term("hội")), boost=0.1), Term("text", exact_term("vàng"))]))
    shared: dict = {}
    mask, scores = engine.scores(tree, shared)
    for child in tree.children:  # each alone, with a memo of its own, adds up to the union
        alone_mask, alone_scores = engine.scores(child, {})
        assert not (alone_mask & ~mask).any()
        pair_docs = np.flatnonzero(alone_mask)
        assert (alone_scores[pair_docs] > 0).all()
    total = sum(engine.scores(child, {})[1] for child in tree.children)
    assert np.array_equal(scores, total)  # the same sums, in the same order
    assert mask.tolist() == np.logical_or.reduce([engine.matches(c, {}) for c in tree.children]).tolist()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1_000_000), query=st.sampled_from(["quốc hội", "hội", "dat dai", "họp bàn về luật"]))
def test_a_snippet_from_the_spans_a_window_can_reach_is_the_one_from_every_span(seed, query):
    """Snippets stop scanning once no window can reach further (after MAX_CANDIDATES spans):
    the same snippet as one built from every span of the text."""
    from search import highlight
    from search.query import parse

    rng = random.Random(seed)
    vocabulary = ["quốc", "hội", "Quốc", "hội.", "Hội,", "họp", "về", "luật", "đất", "đai", "bàn"]
    text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(2500, 4000)))  # "hội" alone: ~700+ spans, past MAX_CANDIDATES
    forms = parse(query).match_forms()
    assert query != "hội" or len(highlight.matched_spans(text, forms)) > highlight.MAX_CANDIDATES
    bounded = highlight.snippet(text, forms)
    bounded_spans = highlight._candidate_spans
    highlight._candidate_spans = lambda t, f, width: highlight.matched_spans(t, f, limit=highlight.SCAN_LIMIT)
    try:
        unbounded = highlight.snippet(text, forms)
    finally:
        highlight._candidate_spans = bounded_spans
    assert bounded == unbounded


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, 40), seed=st.integers(0, 10_000), share=st.floats(0, 1), start=st.integers(0, 30),
       page=st.integers(1, 8), distinct=st.integers(1, 6), grouped_share=st.floats(0, 1))
def test_a_page_sorted_from_the_leading_candidates_is_the_page_of_the_whole_order(size, seed, share, start, page,
                                                                                 distinct, grouped_share):
    """paging.page_places sorts only the candidates that can reach the page (ties at the cut
    kept, copies collapsed afterwards): the page is the one cut from the whole selection in
    order, collapsed, whatever the ties and groups."""
    from search.collapse import Copies
    from search.paging import page_places

    rng = np.random.default_rng(seed)
    docs = 60
    candidates = np.flatnonzero(rng.random(docs) < share)
    key = rng.integers(0, distinct, len(candidates)).astype(np.float64)  # few values: many ties
    groups = np.arange(docs)
    for doc in np.flatnonzero(rng.random(docs) < grouped_share):
        groups[doc] = groups[rng.integers(0, docs)]
    copies = Copies.load(type("Reader", (), {"groups": groups, "live": np.ones(docs, dtype=bool), "size": docs})())
    for collapse in (None, copies):
        full = np.lexsort((candidates, key))
        if collapse is not None:
            full = full[collapse.first_of_groups(candidates[full])]
        first = (page - 1) * start
        assert page_places(candidates, key, first, size, collapse).tolist() == full[first:first + size].tolist()

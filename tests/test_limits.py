"""Cost limits per query (search/query/limits.py): too many phrases, alternatives or terms are cut
with a notice, a search past its time budget returns what it has, and no query string raises."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import index_of
from search import open_index
from search.query import parse
from search.query.limits import MAX_ALTERNATIVES, MAX_PHRASES, MAX_TERMS, Deadline, bounded
from search.query.parser import ParsedQuery, Unit
from search.query.tree import And, Not, Or, Term
from search.requests import MAX_QUERY_LENGTH, SearchRequest

STOP_WORDS = "của và là một cho các với những đã được trong khi này có người ta thì để mà không".split()
PAIRS = [f"{a} {b}" for a, b in itertools.permutations(STOP_WORDS, 2)]
HOSTILE = " ".join(f'"{pair}"' for pair in PAIRS[:100])

ARTICLES = [
    {"id": "first", "title": "Hà Nội mưa lớn", "text": f"Sáng nay {PAIRS[0]} đường phố ngập."},
    {"id": "second", "title": "Đà Nẵng nắng", "text": f"Chiều qua {PAIRS[3]} biển động."},
    {"id": "late", "title": "Huế se lạnh", "text": f"Tối nay {PAIRS[50]} sương mù."},
    {"id": "city", "title": "Hà Nội đón khách", "text": "Thủ đô đón du khách dịp lễ."},
    {"id": "coast", "title": "Đà Nẵng đón khách", "text": "Thành phố biển đón du khách dịp lễ."},
]

CUT = "Câu truy vấn quá phức tạp"
STOPPED = "Tìm kiếm dừng sau"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return open_index(index_of(tmp_path_factory, ARTICLES, "limits"))


def ids(result):
    return sorted(hit.id for hit in result.hits)


class LateClock:
    """A clock that says the budget is spent from its second reading on: no sleeping."""

    def __init__(self):
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
        return 0.0 if self.readings == 1 else 1e9


def test_a_hundred_quoted_pairs_are_cut_to_the_first_phrases(index):
    assert len(HOSTILE) <= MAX_QUERY_LENGTH
    result = index.search(SearchRequest(q=HOSTILE, size=10))
    kept = " ".join(f'"{pair}"' for pair in PAIRS[:MAX_PHRASES])
    assert any(n.startswith(CUT) and f"{MAX_PHRASES} cụm từ" in n for n in result.notices)
    assert ids(result) == ids(index.search(SearchRequest(q=kept, size=10))) == ["first", "second"]
    assert "late" not in ids(result)  # its pair is the 51st


def test_a_query_within_the_limits_is_not_cut(index):
    result = index.search(SearchRequest(q=f'"{PAIRS[0]}" OR "{PAIRS[50]}"'))
    assert ids(result) == ["first", "late"]
    assert not any(n.startswith(CUT) for n in result.notices)


def test_or_alternatives_beyond_the_limit_are_cut_in_typed_order():
    parsed = parse(" OR ".join(f"từ{n}" for n in range(MAX_ALTERNATIVES + 8)))
    assert len(parsed.units) == 1 and len(parsed.units[0].alternatives) == MAX_ALTERNATIVES
    assert parsed.units[0].alternatives[0].syllables == ["từ1"]
    assert any(f"{MAX_ALTERNATIVES} lựa chọn OR" in n for n in parsed.notices)


def test_terms_beyond_the_limit_are_cut_in_typed_order():
    parsed = parse(" ".join(f"x{n}" for n in range(MAX_TERMS * 2)))
    assert sum(len(u.syllables) for u in parsed.units) == MAX_TERMS
    assert parsed.units[0].syllables == ["x0"] and parsed.units[-1].syllables == [f"x{MAX_TERMS - 1}"]
    assert any(f"{MAX_TERMS} từ" in n for n in parsed.notices)


def test_a_long_accentless_question_keeps_every_word_and_each_one_likeliest_spelling_first():
    """The room left after the typed words goes to restored spellings a round at a time: every
    word's likeliest spelling before any word's second, none of the words dropped."""
    words = 30
    units = [Unit([f"s{n}"], restored=[((f"s{n}{v}",), share) for v, share in (("a", 0.6), ("b", 0.3), ("c", 0.1))],
                  restoring=True) for n in range(words)]
    parsed, notices = bounded(ParsedQuery("q", units=units))
    assert [u.syllables for u in parsed.units] == [[f"s{n}"] for n in range(words)]
    restored = [len(u.restored) for u in parsed.units]
    assert sum(restored) + words == MAX_TERMS and min(restored) >= 1 and max(restored) - min(restored) <= 1
    assert all(u.restored[0] == ((f"s{n}a",), 0.6) for n, u in enumerate(parsed.units))
    assert notices and f"{MAX_TERMS} từ" in notices[0]
    assert bounded(ParsedQuery("q", units=units[:5])) == (ParsedQuery("q", units=units[:5]), [])


def test_one_very_long_phrase_keeps_its_first_syllables():
    parsed = parse('"' + " ".join(f"y{n}" for n in range(MAX_TERMS + 10)) + '"')
    assert len(parsed.units) == 1 and len(parsed.units[0].syllables) == MAX_TERMS
    assert parsed.notices


def test_a_search_past_its_budget_returns_part_of_the_results_with_a_notice(index):
    request = SearchRequest(q='"Hà Nội" OR "Đà Nẵng" OR "Huế"')
    full = index.search(request)
    stopped = index.search(request, deadline=Deadline(1.5, clock=LateClock()))
    assert ids(full) == ["city", "coast", "first", "late", "second"]
    assert 0 < stopped.total < full.total and set(ids(stopped)) <= set(ids(full))
    assert "Tìm kiếm dừng sau 1,5 giây; kết quả có thể chưa đầy đủ." in stopped.notices
    assert not any(n.startswith(STOPPED) for n in full.notices)


def test_a_search_within_its_budget_is_unaffected(index):
    for q in ("Hà Nội", "đón khách", "ha noi", "Hà Nội OR Huế", '"du khách" -"Đà Nẵng"', HOSTILE):
        normal = index.search(SearchRequest(q=q))
        roomy = index.search(SearchRequest(q=q), deadline=Deadline(3600))
        assert [(h.id, h.score) for h in normal.hits] == [(h.id, h.score) for h in roomy.hits]
        assert normal.notices == roomy.notices and not any(n.startswith(STOPPED) for n in normal.notices)


def test_an_exclusion_is_never_cut_by_the_budget(index):
    engine = index._snapshot().engine
    query = And((Or((Term("text", "f:du"), Term("text", "f:sang"))),
                 Not(Or((Term("title", "f:hue"), Term("title", "f:ha"), Term("title", "f:da"))))))
    spent = Deadline(0)
    cut = engine.matches(query, deadline=spent)
    full = engine.matches(query)
    assert spent.cut and not (cut & ~full).any()  # a subset: nothing the query excludes


def test_ranking_past_the_budget_keeps_the_matches(index):
    engine = index._snapshot().engine
    query = Or((Term("text", "f:du"), Term("text", "f:khach"), Term("title", "f:don")))
    mask, scores = engine.scores(query, deadline=Deadline(0))
    assert np.array_equal(mask, engine.matches(Term("text", "f:du")))


@settings(max_examples=60)
@given(st.lists(st.sampled_from(list('"- :àáạăâđêôơưHNộ') + ["OR", " OR ", "title:", "-\"", "tp.hcm"] + STOP_WORDS),
                max_size=400).map("".join))
def test_no_query_string_raises(index, q):
    result = index.search(SearchRequest(q=q[:MAX_QUERY_LENGTH]))
    assert result.total >= 0


@settings(max_examples=40)
@given(st.text(max_size=MAX_QUERY_LENGTH))
def test_no_unicode_string_raises(index, q):
    index.search(SearchRequest(q=q))


def test_a_hundred_quoted_pairs_are_heavy_and_a_question_is_not():
    from search.query.limits import is_heavy, looks_heavy
    assert looks_heavy(HOSTILE) and is_heavy(parse(HOSTILE))
    question = "giá vàng hôm nay tăng hay giảm so với tuần trước"
    assert not looks_heavy(question) and not is_heavy(parse(question))


def test_heavy_queries_searched_side_by_side_all_answer(index):
    from concurrent.futures import ThreadPoolExecutor
    queries = [HOSTILE, "Hà Nội", HOSTILE, "đón khách"] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda q: index.search(SearchRequest(q=q)), queries))
    assert [ids(r) for r in results[:4]] == [["first", "second"], ["city", "first"], ["first", "second"],
                                              ["city", "coast"]]

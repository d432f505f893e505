"""The forward file's positions (search/positions.py): parts, gaps, folding, and what a
merge leaves behind."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import write_articles
from search import open_index, rebuild, update
from search.store.container import current_generation
from search.store.forward import FORWARD
from search.store.codec import open_whoosh
from search.store.positions import MAX_PARTS, Positions, add_part, part_ranges, write_part
from search.requests import SearchRequest


def _forward(folder, values):
    np.array(values, dtype=np.uint32).tofile(folder / FORWARD)
    return open(folder / FORWARD, "rb"), len(values)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(0, 6), min_size=1, max_size=300), cuts=st.lists(st.floats(0, 1), max_size=4),
       dropped=st.integers(0, 4))
def test_positions_from_parts_and_gaps_are_those_of_a_scan(tmp_path_factory, values, cuts, dropped):
    folder = tmp_path_factory.mktemp("positions")
    forward = _forward(folder, values)
    bounds = sorted({0, len(values), *(int(c * len(values)) for c in cuts)})
    ranges = list(zip(bounds, bounds[1:]))
    for i, (start, end) in enumerate(ranges):
        if i != dropped:  # one range left without a part, as an interrupted update leaves it
            write_part(folder, folder / FORWARD, start, end)
    positions = Positions(folder, *forward)
    for code in range(1, 7):
        expected = np.flatnonzero(np.array(values) == code)
        assert positions.of(code).tolist() == expected.tolist()
        assert positions.count(code) == len(expected)
    assert all(0 not in part.codes for part in positions.parts)  # separators are not indexed


def test_updates_fold_their_parts_into_one_past_the_limit(tmp_path):
    values = list(range(1, 50)) * 3
    forward = _forward(tmp_path, values)
    step = len(values) // (MAX_PARTS + 2)
    for start in range(0, len(values), step):
        add_part(tmp_path, tmp_path / FORWARD, min(start + step, len(values)))
        assert len(part_ranges(tmp_path)) <= MAX_PARTS
    positions = Positions(tmp_path, *forward)
    assert not positions.gaps
    assert positions.of(7).tolist() == [6, 55, 104]


def test_a_phrase_in_a_document_merged_away_is_not_found_in_the_one_before_it(tmp_path):
    source, index_dir = tmp_path / "src", tmp_path / "index"
    # Same words as the phrase, not in its order, then an article with the phrase.
    write_articles(source, "a.jsonl", [{"id": "before", "title": "Tin vắn", "text": "Tin về thông báo của xã và thông lệ."}])
    write_articles(source, "b.jsonl", [{"id": "gone", "title": "Bản tin", "text": "Thông tin mới từ huyện."}])
    rebuild(source, index_dir)
    assert [h.id for h in open_index(index_dir).search(SearchRequest(q='"thông tin"')).hits] == ["gone"]
    (source / "b.jsonl").unlink()
    update(source, index_dir)
    _, ix = open_whoosh(index_dir)
    ix.optimize()  # the deleted article is dropped: its part of the forward file is a gap
    generation = current_generation(index_dir)
    assert (generation / FORWARD).stat().st_size > 0
    index = open_index(index_dir)
    assert index.count() == 1
    assert index.search(SearchRequest(q='"thông tin"')).total == 0
    assert index.search(SearchRequest(q='"thông báo"')).total == 1


def test_without_positions_phrases_are_found_by_scanning_and_an_update_writes_them(tmp_path):
    source, index_dir = tmp_path / "src", tmp_path / "index"
    write_articles(source, "a.jsonl", [{"id": "one", "title": "Bản tin", "text": "Thông tin mới từ huyện."},
                               {"id": "two", "title": "Tin vắn", "text": "Tin về thông báo của xã."}])
    rebuild(source, index_dir)
    generation = current_generation(index_dir)
    expected = [h.id for h in open_index(index_dir).search(SearchRequest(q='"thông tin"')).hits]
    assert expected == ["one"]
    for path in generation.glob("positions-*"):  # as an index built before positions were
        path.unlink()
    assert [h.id for h in open_index(index_dir).search(SearchRequest(q='"thông tin"')).hits] == expected
    write_articles(source, "b.jsonl", [{"id": "three", "title": "Tin tối", "text": "Thông tin cuối ngày."}])
    update(source, index_dir)
    assert part_ranges(generation) == [(0, (generation / FORWARD).stat().st_size // 4)]
    found = open_index(index_dir).search(SearchRequest(q='"thông tin"'))
    assert sorted(h.id for h in found.hits) == ["one", "three"]

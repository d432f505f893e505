"""Highlight spans: the one-regex scan finds exactly what the syllable-by-syllable scan finds."""
from hypothesis import given, settings, strategies as st

from search.highlight import _matched_spans_by_syllable, matched_spans

WORDS = ["Đại", "hội", "đại", "HỘI", "thành", "phố", "Thanh", "pho", "bàn", "bản", "ban", "Bạn", "hoà", "hòa",
         "TP", "HCM", "x2", "snake_case", "Ñandú", "İstanbul", "quý", "giữ"]
SEPARATORS = [" ", ", ", ". ", "\n", " - ", "_", "  ", "/", "…"]
FORMS = [("dai", "hoi"), ("dai",), ("thanh", "pho"), ("ban",), ("hoa",), ("tp", "hcm"), ("x2",), ("case",),
         ("quy",), ("giu",), ("nandu",)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=30),
       st.sets(st.sampled_from(FORMS), min_size=1, max_size=4))
def test_the_regex_scan_agrees_with_the_syllable_scan(pieces, forms):
    text = "".join(word + separator for word, separator in pieces)
    assert matched_spans(text, forms) == _matched_spans_by_syllable(text, forms)

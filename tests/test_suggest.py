"""Did-you-mean from the index's own vocabulary."""
import pytest

from search.requests import SearchRequest


@pytest.mark.parametrize("typed, meant", [
    ("Bắc Nimh", "Bắc Ninh"),          # a misspelled syllable, no results
    ("thôngg tin", "thông tin"),        # an extra letter: all-words search failed
    ("đai hội", "đại hội"),             # a wrong diacritic the index never uses
    ("truyen thongg", "truyen thong"),  # accentless and misspelled: corrected without marks
    ("giao duc dai hocc", "giao duc dai hoc"),  # never half accented
    ("giáo dụcc", "giáo dục"),          # the typed marks kept, not "giáo được"
    ("giáo duc đại hocc", "giáo dục đại học"),  # accented: every syllable as the index spells it
])
def test_misspelled_query_gets_the_index_spelling(sample_index, typed, meant):
    assert sample_index.search(SearchRequest(q=typed)).suggestion == meant


@pytest.mark.parametrize("q", ["đại hội", "dai hoi", "Long An", ""])
def test_a_good_query_gets_no_suggestion(sample_index, q):
    assert sample_index.search(SearchRequest(q=q)).suggestion is None


def test_nothing_close_gives_no_suggestion(sample_index):
    assert sample_index.search(SearchRequest(q="xyzzyq")).suggestion is None


def test_the_suggestion_keeps_the_query_operators(sample_index):
    assert sample_index.search(SearchRequest(q='"Bắc Nimh" -abc')).suggestion == '"Bắc Ninh" -abc'

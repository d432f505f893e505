"""How people type: without accents, old-style tone marks, abbreviations, decomposed text."""
import unicodedata

import pytest

from search.requests import SearchRequest

SEEDS = {"samples/000_9dbbb5d41eb3b28f.txt", "samples/001_4a7d02fcda62732a.txt", "samples/002_a7ce9007b7fbc9d3.txt",
         "samples/003_f5d22e43c3d5e2af.txt", "samples/004_cb6f3e124aee11ae.txt"}


def ids(index, q, **kwargs):
    return [h.id for h in index.search(SearchRequest(q=q, size=50, **kwargs)).hits]


def test_a_syllable_typed_with_marks_selects_only_that_syllable(mixed_index):
    found = ids(mixed_index, "bản")
    assert "t-ban-ban-do" in found and "t-ban-ban-ghe" not in found


def test_accentless_syllable_finds_every_accented_reading(mixed_index):
    found = ids(mixed_index, "ban")
    assert {"t-ban-ban-do", "t-ban-ban-ghe"} <= set(found)


def test_accentless_sentence_puts_the_matching_articles_first(mixed_index):
    found = ids(mixed_index, "dai hoi dang bo so thong tin va truyen thong")
    assert set(found[:5]) == SEEDS


@pytest.mark.parametrize("old, new", [("hoà giải", "hòa giải"), ("thuỷ lợi", "thủy lợi"), ("sức khoẻ", "sức khỏe")])
def test_both_tone_placements_search_alike(mixed_index, old, new):
    assert ids(mixed_index, old) == ids(mixed_index, new) != []


def test_accentless_thuy_finds_thuy_in_either_placement(mixed_index):
    assert "t-thuy-loi" in ids(mixed_index, "thuy")


@pytest.mark.parametrize("q", ["TPHCM", "TP.HCM", "Sài Gòn", "sai gon", "TP. Hồ Chí Minh"])
def test_every_name_of_ho_chi_minh_city_finds_all_of_them(mixed_index, q):
    found = set(ids(mixed_index, q))
    assert {"t-tphcm", "t-saigon", "samples/003_f5d22e43c3d5e2af.txt"} <= found


def test_ho_chi_minh_city_variants_do_not_match_the_person(mixed_index):
    assert "samples/002_a7ce9007b7fbc9d3.txt" not in ids(mixed_index, "TPHCM")


@pytest.mark.parametrize("q", ["UBND", "Ủy ban nhân dân", "uỷ ban nhân dân"])
def test_abbreviation_and_expansion_find_each_other(mixed_index, q):
    found = set(ids(mixed_index, q))
    assert {"t-tphcm", "samples/000_9dbbb5d41eb3b28f.txt"} <= found


def test_tttt_finds_thong_tin_va_truyen_thong(mixed_index):
    assert SEEDS <= set(ids(mixed_index, "TTTT"))


def test_decomposed_query_finds_precomposed_text_and_back(mixed_index):
    nfd = unicodedata.normalize("NFD", "Đồng Tháp thu hoạch")
    assert ids(mixed_index, nfd) == ids(mixed_index, "Đồng Tháp thu hoạch")
    assert "t-nfd" in ids(mixed_index, "Đồng Tháp")


def test_accentless_query_highlights_accented_words(mixed_index):
    hit = mixed_index.search(SearchRequest(q="ban do")).hits[0]
    assert "<mark>bản đồ</mark>" in hit.snippet_html.lower() or "<mark>Bản đồ</mark>" in hit.snippet_html


def test_compound_match_ranks_above_scattered_syllables(mixed_index):
    found = ids(mixed_index, "thông tin")
    assert found[0] in SEEDS

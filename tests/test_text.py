import unicodedata

import pytest
from hypothesis import given, strategies as st

from search.text import fold_accents, normalize, normalize_tones, to_nfc

VIETNAMESE = st.text(alphabet=st.sampled_from(
    list("aăâeêioôơuưyđqgh ") + list("àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
    + list("ÀÁĐƯƠ") + ["\u0300", "\u0301", "\u0309"]), max_size=40)


@pytest.mark.parametrize("old, new", [
    ("hòa", "hoà"), ("thúy", "thuý"), ("khỏe", "khoẻ"), ("ủy", "uỷ"), ("Thủy", "thuỷ"),
])
def test_both_tone_placements_normalise_alike(old, new):
    assert normalize(old) == normalize(new) == new


@pytest.mark.parametrize("word", ["quý", "quả", "giữ", "già", "gìn", "quyết", "người", "hoàng", "khuỷu", "ngoài"])
def test_tone_stays_on_the_vowel_after_qu_and_gi_and_in_closed_syllables(word):
    assert normalize(word) == word


def test_misplaced_mark_after_qu_moves_to_the_vowel():
    assert normalize("qúy") == "quý"


def test_decomposed_text_normalises_like_precomposed():
    text = "Đại hội Đảng bộ hòa bình"
    assert normalize(unicodedata.normalize("NFD", text)) == normalize(text)


def test_a_stray_combining_mark_after_a_retoned_syllable_stays_idempotent():
    once = normalize("a\u00c0\u0300")
    assert normalize(once) == once


def test_fold_removes_every_mark_and_d_stroke():
    assert fold_accents("Đại hội Đảng bộ Ủy ban") == "Dai hoi Dang bo Uy ban"


def test_foreign_words_are_left_alone():
    assert normalize_tones("café résumé") == "café résumé"


@given(st.text())
def test_normalisation_is_idempotent_on_any_text(text):
    once = normalize(text)
    assert normalize(once) == once


@given(VIETNAMESE)
def test_normalisation_is_idempotent_on_vietnamese_letters(text):
    once = normalize(text)
    assert normalize(once) == once


@given(st.text())
def test_folding_never_raises_and_is_idempotent(text):
    folded = fold_accents(to_nfc(text))
    assert fold_accents(folded) == folded

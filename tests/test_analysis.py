import re
from array import array

import pytest
from hypothesis import given, settings, strategies as st

from search.analysis import VietnameseAnalyzer, segment_words, syllables
from search.text import fold_accents, normalize

from helpers import SAMPLES


def tokens(text):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in VietnameseAnalyzer()(text, positions=True, chars=True)]


def test_compounds_become_words_and_keep_their_syllables():
    kinds = [t[0] for t in tokens("Sở Thông tin và Truyền thông")]
    assert "w:thông_tin" in kinds and "w:truyền_thông" in kinds
    assert {"thông", "f:tin", "truyền"} <= set(kinds)


def test_every_syllable_has_a_folded_form_at_the_same_position():
    toks = tokens("Đại hội Đảng bộ kết nối Internet")
    exact = {(pos, text) for text, pos, _, _ in toks if ":" not in text}
    folded = {(pos, text[2:]) for text, pos, _, _ in toks if text.startswith("f:")}
    assert {(pos, fold_accents(text)) for pos, text in exact} <= folded
    assert len(folded) == 7


def test_a_syllable_without_marks_is_indexed_as_written_and_folded():
    # "ai" as typed must not match "ái" at exact weight: unmarked syllables have exact terms too.
    assert [t[0] for t in tokens("kết nối Internet")] == [
        "kết", "f:ket", "w:kết_nối", "nối", "f:noi", "internet", "f:internet"]


def test_pyvi_punctuation_rewrites_leave_no_stray_tokens():
    texts = [t[0] for t in tokens("TP.HCM ngày 31/05/2020")]
    assert [t for t in texts if t.startswith("f:")] == ["f:tp", "f:hcm", "f:ngay", "f:31", "f:05", "f:2020"]


def test_underscore_in_text_splits_syllables():
    assert [t[0] for t in tokens("snake_case")] == ["snake", "f:snake", "case", "f:case"]


def test_offsets_point_into_the_original_text():
    text = "  Hòa bình, Thủy lợi!"
    for word, _, start, end in tokens(text):
        if not word.startswith(("f:", "w:")):
            assert normalize(text[start:end]) == word


def test_segment_words_returns_surface_words():
    assert segment_words("Có lẽ vì lịch sự") == ["Có lẽ", "vì", "lịch sự"]


def test_long_text_is_segmented_in_bounded_chunks():
    text = "thông tin " * 5000  # no punctuation at all
    assert len(syllables(text)) == 10000


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_tokens_inside_it_that_slice_back_to_themselves(text):
    for word, _, start, end in tokens(text):
        assert 0 <= start < end <= len(text)
        surface = normalize(text[start:end])
        if word.startswith("f:"):
            assert fold_accents(surface) == word[2:]
        elif word.startswith("w:"):
            assert "_".join(re.findall(r"[^\W_]+", surface)) == word[2:]
        else:
            assert surface == word


def _as_attributes(features: list[dict]) -> list[list[str]]:
    """pyvi's feature dicts as crfsuite reads them: "k:v" for a string, "k" weighing 1 for
    True or 1.0, nothing for False (weight 0)."""
    out = []
    for item in features:
        attributes = []
        for key, value in item.items():
            if isinstance(value, str):
                attributes.append(f"{key}:{value}")
            elif value:
                assert value == 1
                attributes.append(key)
        out.append(sorted(attributes))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Sở", "Thông", "tin", "và", "truyền", "thông", "HĐND", "2020", ",", ".",
                                 "Đại", "hội", "đảng", "bộ", "ΑΣ", "İ", "x"]), max_size=12))
def test_our_pyvi_features_are_pyvis_own_as_crfsuite_attributes(sentence):
    from pyvi.ViTokenizer import ViTokenizer

    from search.analysis import pyvi_features

    assert [sorted(f) for f in pyvi_features(sentence)] == _as_attributes(ViTokenizer.sent2features(sentence, False))


def test_pyvi_features_give_pyvis_labels_on_real_text():
    from pyvi.ViTokenizer import ViTokenizer

    from search.analysis import pyvi_features

    for name in ("002_a7ce9007b7fbc9d3.txt", "004_cb6f3e124aee11ae.txt"):
        text = (SAMPLES / name).read_text(encoding="utf-8")
        sentence = re.findall(r"[^\W_]+|[^\w\s]", text)
        ours = pyvi_features(sentence)
        theirs = ViTokenizer.sent2features(sentence, False)
        assert [sorted(f) for f in ours] == _as_attributes(theirs)
        assert ViTokenizer.model.predict_single(ours) == ViTokenizer.model.predict_single(theirs)


@pytest.mark.slow
def test_our_model_loader_gives_pyvis_dictionary_and_labels_without_scikit_learn():
    import subprocess
    import sys

    from pyvi.ViTokenizer import ViTokenizer

    from search import pyvi_model
    from search.analysis import _pyvi_labels

    model = pyvi_model.load()
    assert model.bi_grams == ViTokenizer.bi_grams and model.tri_grams == ViTokenizer.tri_grams
    for name in ("000_9dbbb5d41eb3b28f.txt", "003_f5d22e43c3d5e2af.txt"):
        text = (SAMPLES / name).read_text(encoding="utf-8")
        sentences = [line.split() for line in text.splitlines() if line.split()]
        theirs = ViTokenizer.model.predict([ViTokenizer.sent2features(s, False) for s in sentences])
        assert [list(labels) for labels in _pyvi_labels(sentences)] == [list(labels) for labels in theirs]
    loads = "import sys; from search import analysis; analysis.syllables('khởi động'); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", loads], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(list("aăâeêioôơuưyđ àáảãạ ,.\nĐHTP_0123") + ["thông", "tin ", "Hà Nội "]),
                max_size=60).map("".join))
def test_indexed_postings_and_forward_hashes_are_the_pipelines_tokens(text):
    from collections import Counter

    from search.analysis import PIPELINE, forward_hash, term_counts

    forward = array("I")
    counts = term_counts(text, forward)
    terms = [t.text for t in PIPELINE(text)]
    assert counts == dict(Counter(terms))
    assert list(forward) == [forward_hash(t) for t in terms if t.startswith("f:")]

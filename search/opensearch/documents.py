"""An article → its OpenSearch document (write path): vnsearch's analysis (search/analysis.py:
pyvi words, the one normalisation, accent folding) made into whitespace-separated tokens for the
fields of mapping.py, beside the stored title, text and metadata."""
from __future__ import annotations

from typing import NamedTuple

from ..analysis import WORD_PREFIX, normalize_syllable, word_strings, word_term
from ..articles import FACET_FIELDS, METADATA_FIELDS, MULTI_VALUED, Article
from ..facets import filter_key
from ..text import fold_accents
from ..timeline import valid_day
from .mapping import PAIR_JOINER, TEXT_FIELDS, WORD_FILLER, field_name, key_field, main_field


class AnalysedText(NamedTuple):
    """One text field's tokens, one per syllable in `exact`, `folded` and `words` (same
    positions), and its adjacent folded pairs; `terms`: the distinct exact syllables and
    compounds (index terms, as the vocabulary counts them)."""

    exact: str
    folded: str
    words: str
    pairs: str
    terms: frozenset


def analyse_text(text: str) -> AnalysedText:
    exact: list[str] = []
    words: list[str] = []
    terms: set[str] = set()
    for word in word_strings(text):
        syllables = [normalize_syllable(s) for s in word]
        exact += syllables
        terms.update(syllables)
        if len(syllables) > 1:
            compound = word_term(syllables)
            terms.add(compound)
            words.append(compound[len(WORD_PREFIX):])
            words += [WORD_FILLER] * (len(syllables) - 1)
        else:
            words.append(WORD_FILLER)
    folded = [fold_accents(s) for s in exact]
    pairs = [a + PAIR_JOINER + b for a, b in zip(folded, folded[1:])]
    return AnalysedText(" ".join(exact), " ".join(folded), " ".join(words), " ".join(pairs), frozenset(terms))


def analyse_pair(title: str, text: str) -> tuple[AnalysedText, AnalysedText]:
    """The analysis of an article's indexed title and text (build.prepared's `analyze`)."""
    return analyse_text(title), analyse_text(text)


def article_document(article: Article, analysed: tuple[AnalysedText, AnalysedText], seq: int,
                     origin: str, fingerprint: str, key: str) -> dict:
    doc = {
        "id": article.id, "seq": seq, "title": article.title, "text": article.text,
        "meta": {name: getattr(article, name) for name in METADATA_FIELDS},
        "origin": origin, "fingerprint": fingerprint, "content": key,
    }
    if article.published:  # undated: no datekey, so that date orders put it last
        doc["datekey"] = article.published
    if article.published and valid_day(article.published):
        doc["day"] = article.published[:10]
    if article.year is not None:
        doc["year_number"] = int(article.year)
    for name in FACET_FIELDS:
        if name in MULTI_VALUED:
            values = list(getattr(article, MULTI_VALUED[name]))
        else:
            value = getattr(article, name)
            values = [] if value is None or value == "" else [str(value)]
        if values:
            doc[name] = values
            doc[key_field(name)] = sorted({filter_key(v) for v in values})
            if name in MULTI_VALUED:
                doc[main_field(name)] = values[0]
    if article.author:
        doc["author"] = article.author
    for field, analysis in zip(TEXT_FIELDS, analysed):
        for kind in ("exact", "folded", "words", "pairs"):
            value = getattr(analysis, kind)
            if value:
                doc[field_name(field, kind)] = value
    return doc

"""Vietnamese analysis: text → syllables → pyvi words → three token kinds.

One pipeline serves documents (as a Whoosh analyzer) and queries (`segment`):

    VietnameseTokenizer()   syllables of the original text, grouped into pyvi words
    | NormalizeFilter()     text.normalize: NFC, one tone placement, lower case
    | TokenKindsFilter()    per syllable `thông` and `f:thong`; per compound `w:thông_tin`

A syllable without marks ("tin") is its own folded form: it is indexed once, as `f:tin`, and
`exact_term` maps it there. All kinds of one syllable share its position, so phrases work
within one kind (or across exact and folded terms), and every token's offsets point into
the original text.
"""
from __future__ import annotations

import re
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, NamedTuple

from whoosh.analysis import Composable, Filter, Token, Tokenizer

from .text import fold_accents, normalize, normalize_tones

FOLDED_PREFIX = "f:"
WORD_PREFIX = "w:"
WORD_JOINER = "_"

# Syllables are runs of letters and digits ("_" splits, so "snake_case" is two syllables);
# punctuation marks are kept as tokens only because pyvi's model was trained with them.
SYLLABLE = re.compile(r"[^\W_]+")
_TOKEN = re.compile(rf"{SYLLABLE.pattern}|[^\w\s]")
_SENTENCE_END = frozenset(".!?;…")
MAX_CHUNK_TOKENS = 120  # bounded pyvi input: long texts are segmented in linear time
BATCH_TOKENS = 20_000  # tokens segmented at a time: bounded memory for any text


@dataclass(frozen=True, slots=True)
class Syllable:
    text: str  # as in the original
    start: int
    end: int
    word_start: bool  # first syllable of a pyvi word
    word_length: int  # syllables in the word it starts (0 unless word_start)


def _chunks(text: str) -> Iterator[list[re.Match]]:
    """Sentence-sized runs of tokens, so pyvi never sees an unbounded input."""
    chunk: list[re.Match] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        if chunk and ("\n" in text[previous_end:match.start()] or len(chunk) >= MAX_CHUNK_TOKENS):
            yield chunk
            chunk = []
        chunk.append(match)
        previous_end = match.end()
        if match.group() in _SENTENCE_END:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _joins(previous: str, current: str, label: str) -> bool:
    """pyvi's own rule for gluing a syllable to the word before it (only syllables glue)."""
    return (
        label == "I_W"
        and current[0].isalnum() and previous[0].isalnum()
        and not current[0].isdigit() and not previous[0].isdigit()
        and not (current[0].istitle() and not previous[0].istitle())
    )


def pyvi_features(sentence: list[str]) -> list[dict]:
    """Exactly pyvi's ViTokenizer.sent2features, with each per-token fact computed once
    instead of up to three times (a third of indexing time went there)."""
    from pyvi.ViTokenizer import ViTokenizer

    bi_grams, tri_grams = ViTokenizer.bi_grams, ViTokenizer.tri_grams
    n = len(sentence)
    lower = [w.lower() for w in sentence]
    title = [w.istitle() for w in sentence]
    upper = [w.isupper() for w in sentence]
    bigram = [" ".join([sentence[i], sentence[i + 1]]).lower() in bi_grams for i in range(n - 1)]
    trigram = [" ".join(sentence[i:i + 3]).lower() in tri_grams for i in range(n - 2)]
    out = []
    for i, word in enumerate(sentence):
        features = {"bias": 1.0, "word.lower()": lower[i], "word.isupper()": upper[i],
                    "word.istitle()": title[i], "word.isdigit()": word.isdigit()}
        if i > 0:
            features["-1:word.lower()"] = lower[i - 1]
            features["-1:word.istitle()"] = title[i - 1]
            features["-1:word.isupper()"] = upper[i - 1]
            features["-1:word.bi_gram()"] = bigram[i - 1]
            if i > 1:
                features["-2:word.tri_gram()"] = trigram[i - 2]
        if i < n - 1:
            features["+1:word.lower()"] = lower[i + 1]
            features["+1:word.istitle()"] = title[i + 1]
            features["+1:word.isupper()"] = upper[i + 1]
            features["+1:word.bi_gram()"] = bigram[i]
            if i < n - 2:
                features["+2:word.tri_gram()"] = trigram[i]
        out.append(features)
    return out


def _pyvi_labels(sentences: list[list[str]]) -> list[list[str]]:
    from pyvi.ViTokenizer import ViTokenizer  # loads the model once, on first use

    return ViTokenizer.model.predict([pyvi_features(sentence) for sentence in sentences])


def syllable_batches(text: str, segment_words: bool = True) -> Iterator[list[Syllable]]:
    """The syllables of `text` in batches of whole sentences (a word never spans two batches),
    so that a long text is segmented in bounded memory."""
    chunks: list[list[re.Match]] = []
    size = 0
    for chunk in _chunks(text):
        chunks.append(chunk)
        size += len(chunk)
        if size >= BATCH_TOKENS:
            yield _segmented(chunks, segment_words)
            chunks, size = [], 0
    if chunks:
        yield _segmented(chunks, segment_words)


def _segmented(chunks: list[list[re.Match]], segment_words: bool) -> list[Syllable]:
    if segment_words:
        # pyvi's dictionary follows one tone convention; give it tokens in that convention.
        labels = _pyvi_labels([[_tones(m.group()) for m in chunk] for chunk in chunks])
    else:
        labels = [["B_W"] * len(chunk) for chunk in chunks]
    result: list[Syllable] = []
    for chunk, chunk_labels in zip(chunks, labels):
        words: list[list[re.Match]] = []
        for i, match in enumerate(chunk):
            if i and words and _joins(chunk[i - 1].group(), match.group(), chunk_labels[i]):
                words[-1].append(match)
            else:
                words.append([match])
        for word in words:
            if not word[0].group()[0].isalnum():
                continue  # punctuation
            for j, match in enumerate(word):
                result.append(Syllable(match.group(), match.start(), match.end(), j == 0,
                                       len(word) if j == 0 else 0))
    return result


def syllables(text: str, segment_words: bool = True) -> list[Syllable]:
    """The syllables of `text` with offsets, grouped into words by pyvi when asked."""
    return [s for batch in syllable_batches(text, segment_words) for s in batch]


def word_groups(sylls: list[Syllable]) -> list[list[Syllable]]:
    groups: list[list[Syllable]] = []
    for s in sylls:
        if s.word_start or not groups:
            groups.append([s])
        else:
            groups[-1].append(s)
    return groups


def segment_words(text: str) -> list[str]:
    """Words of `text` as surface strings, syllables separated by one space."""
    return [" ".join(s.text for s in group) for group in word_groups(syllables(text))]


_tones = lru_cache(maxsize=500_000)(normalize_tones)


@lru_cache(maxsize=500_000)
def folded_term(syllable: str) -> str:
    return FOLDED_PREFIX + fold_accents(syllable)


def exact_term(normalized_syllable: str) -> str:
    """The index term of a syllable as written (marks or none): the syllable itself."""
    return normalized_syllable


normalize_syllable = lru_cache(maxsize=500_000)(normalize)


def word_term(normalized_syllables: list[str]) -> str:
    return WORD_PREFIX + WORD_JOINER.join(normalized_syllables)


class VietnameseTokenizer(Tokenizer):
    """Syllables with positions and original offsets; the first syllable of a compound
    carries the whole compound's surface syllables and end offset."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        offset = 0
        for sylls in syllable_batches(value, segment_words=tokenize):
            yield from self._tokens(sylls, offset, positions, chars, keeporiginal, removestops,
                                    start_pos, start_char, mode, kwargs)
            offset += len(sylls)

    @staticmethod
    def _tokens(sylls, offset, positions, chars, keeporiginal, removestops, start_pos, start_char, mode, kwargs):
        for i, s in enumerate(sylls):
            pos = offset + i
            token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
            token.text = s.text
            token.boost = 1.0
            token.stopped = False
            token.compound = None
            if s.word_length > 1:
                token.compound = [x.text for x in sylls[i:i + s.word_length]]
                token.compound_end = start_char + sylls[i + s.word_length - 1].end
            if keeporiginal:
                token.original = s.text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + s.start
                token.endchar = start_char + s.end
            yield token


class NormalizeFilter(Filter):
    """text.normalize on each syllable and compound (NFC, tone placement, lower case)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = normalize_syllable(t.text)
            if getattr(t, "compound", None):
                t.compound = [normalize_syllable(x) for x in t.compound]
            yield t


class TokenKindsFilter(Filter):
    """Each syllable as written and accent-folded (once when they are the same); after a
    compound's first syllable, the compound as one word."""

    def __call__(self, tokens):
        for t in tokens:
            syllable = t.text
            compound = getattr(t, "compound", None)
            yield t
            t.text = folded_term(syllable)
            yield t
            if compound:
                endchar = getattr(t, "endchar", None)
                if endchar is not None:
                    t.endchar = t.compound_end
                t.text = word_term(compound)
                yield t
                if endchar is not None:
                    t.endchar = endchar
            t.text = syllable


class PreAnalyzed(NamedTuple):
    """A field's postings computed ahead, in a worker process: (term, frequency, encoded
    frequency) per distinct term, as Whoosh's Frequency format would have made them, and the
    field's forward sequence (`forward_hash` of each folded syllable, in order)."""

    postings: tuple[tuple[bytes, int, bytes], ...]
    forward: array = array("I")


@lru_cache(maxsize=500_000)
def forward_hash(folded: str) -> int:
    """A folded term as a non-zero 32-bit number (0 separates fields in the forward file)."""
    return zlib.crc32(folded.encode("utf-8")) | 1


def postings(text: str, encode_frequency, forward: array | None = None) -> Iterator[tuple[bytes, int, bytes]]:
    """(term, frequency, encoded frequency) of each distinct term of `text`. Phrases are
    checked on the forward file, not on positions: with `forward`, the folded syllables'
    hashes are appended to it in order (every syllable has exactly one folded token)."""
    counts: dict[str, int] = {}
    get = counts.get
    add = forward.append if forward is not None else None
    for sylls in syllable_batches(text):  # the PIPELINE's tokens, without Token objects
        for i, s in enumerate(sylls):
            syllable = normalize_syllable(s.text)
            folded = folded_term(syllable)
            counts[syllable] = get(syllable, 0) + 1
            counts[folded] = get(folded, 0) + 1
            if add is not None:
                add(forward_hash(folded))
            if s.word_length > 1:
                word = word_term([normalize_syllable(x.text) for x in sylls[i:i + s.word_length]])
                counts[word] = get(word, 0) + 1
    for term, frequency in counts.items():
        yield term.encode("utf-8"), frequency, encode_frequency(frequency)


def pre_analyze(text: str, encode_frequency) -> PreAnalyzed:
    forward = array("I")
    items = tuple(postings(text, encode_frequency, forward))
    return PreAnalyzed(items, forward)


def VietnameseAnalyzer() -> Composable:
    return VietnameseTokenizer() | NormalizeFilter() | TokenKindsFilter()


PIPELINE = VietnameseAnalyzer()

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

from . import pyvi_model
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
    """Sentence-sized runs of tokens, so pyvi never sees an unbounded input: a chunk ends at a
    sentence mark, at a line break and after MAX_CHUNK_TOKENS tokens (no token holds "\n")."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        chunk: list[re.Match] = []
        for match in _TOKEN.finditer(text, start, end):
            if len(chunk) >= MAX_CHUNK_TOKENS:
                yield chunk
                chunk = []
            chunk.append(match)
            if match.group() in _SENTENCE_END:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        start = end + 1


def _joins(previous: str, current: str, label: str) -> bool:
    """pyvi's own rule for gluing a syllable to the word before it (only syllables glue)."""
    return (
        label == "I_W"
        and current[0].isalnum() and previous[0].isalnum()
        and not current[0].isdigit() and not previous[0].isdigit()
        and not (current[0].istitle() and not previous[0].istitle())
    )


@lru_cache(maxsize=200_000)
def _token_facts(token: str) -> tuple[str, str, str, bool, bool, bool, str]:
    lower = token.lower()
    return ("word.lower():" + lower, "-1:word.lower():" + lower, "+1:word.lower():" + lower,
            token.isupper(), token.istitle(), token.isdigit(), lower)


def pyvi_features(sentence: list[str]) -> list[list[str]]:
    """pyvi's ViTokenizer.sent2features as the attribute lists crfsuite makes of them: a
    string feature `k: v` is the attribute "k:v", a true one "k", a false one (weight 0) none.
    Building these directly, with each token's facts computed once, costs a third of building
    pyvi's dicts, and crfsuite tags them in half the time (tests check both give pyvi's labels)."""
    model = pyvi_model.load()
    bi_grams, tri_grams = model.bi_grams, model.tri_grams
    n = len(sentence)
    facts = [_token_facts(token) for token in sentence]
    lower = [fact[6] for fact in facts]
    pairs = [a + " " + b for a, b in zip(lower, lower[1:])]
    bigram = [pair in bi_grams for pair in pairs]
    trigram = [pair + " " + c in tri_grams for pair, c in zip(pairs, lower[2:])]
    out = []
    for i in range(n):
        word_lower, _, _, upper, title, digit, _ = facts[i]
        features = ["bias", word_lower]
        if upper:
            features.append("word.isupper()")
        if title:
            features.append("word.istitle()")
        if digit:
            features.append("word.isdigit()")
        if i:
            _, previous_lower, _, upper, title, _, _ = facts[i - 1]
            features.append(previous_lower)
            if title:
                features.append("-1:word.istitle()")
            if upper:
                features.append("-1:word.isupper()")
            if bigram[i - 1]:
                features.append("-1:word.bi_gram()")
            if i > 1 and trigram[i - 2]:
                features.append("-2:word.tri_gram()")
        if i < n - 1:
            _, _, next_lower, upper, title, _, _ = facts[i + 1]
            features.append(next_lower)
            if title:
                features.append("+1:word.istitle()")
            if upper:
                features.append("+1:word.isupper()")
            if bigram[i]:
                features.append("+1:word.bi_gram()")
            if i < n - 2 and trigram[i]:
                features.append("+2:word.tri_gram()")
        out.append(features)
    return out


def _pyvi_labels(sentences: list[list[str]]) -> list[list[str]]:
    tag = pyvi_model.load().tagger.tag  # loads the model once, on first use
    return [tag(pyvi_features(sentence)) for sentence in sentences]


def _labelled_batches(text: str, segment_words: bool) -> Iterator[list[tuple[list[re.Match], list[str], list[int]]]]:
    """Batches of whole sentences (a word never spans two), so that a long text is segmented
    in bounded memory: per sentence its token matches, their strings and the length in tokens
    of each pyvi word, in order (punctuation included)."""
    chunks: list[list[re.Match]] = []
    size = 0
    for chunk in _chunks(text):
        chunks.append(chunk)
        size += len(chunk)
        if size >= BATCH_TOKENS:
            yield _labelled(chunks, segment_words)
            chunks, size = [], 0
    if chunks:
        yield _labelled(chunks, segment_words)


# Word lengths of sentences already segmented, by the sentence's text: a tenth of the
# sentences of a news corpus repeat (datelines, bylines, boilerplate). Cleared when full.
_SEGMENTED: dict[str, list[int]] = {}
SEGMENTED_CACHE_SIZE = 50_000


def _labelled(chunks: list[list[re.Match]], segment_words: bool) -> list[tuple[list[re.Match], list[str], list[int]]]:
    tokens = [[match.group() for match in chunk] for chunk in chunks]
    if not segment_words:
        return [(chunk, strings, [1] * len(strings)) for chunk, strings in zip(chunks, tokens)]
    keys = [_chunk_text(chunk) for chunk in chunks]
    lengths = [_SEGMENTED.get(key) for key in keys]
    missing = [i for i, found in enumerate(lengths) if found is None]
    if missing:
        # pyvi's dictionary follows one tone convention; give it tokens in that convention.
        labels = _pyvi_labels([[_tones(token) for token in tokens[i]] for i in missing])
        if len(_SEGMENTED) + len(missing) > SEGMENTED_CACHE_SIZE:
            _SEGMENTED.clear()
        for i, chunk_labels in zip(missing, labels):
            lengths[i] = _SEGMENTED[keys[i]] = _word_lengths(tokens[i], chunk_labels)
    return list(zip(chunks, tokens, lengths))


def _chunk_text(chunk: list[re.Match]) -> str:
    """The text from a chunk's first token to its last."""
    return chunk[0].string[chunk[0].start():chunk[-1].end()]


def _word_lengths(tokens: list[str], labels: list[str]) -> list[int]:
    lengths: list[int] = []
    for i, token in enumerate(tokens):
        if i and _joins(tokens[i - 1], token, labels[i]):
            lengths[-1] += 1
        else:
            lengths.append(1)
    return lengths


def _words(batch: list[tuple[list[re.Match], list[str], list[int]]]) -> Iterator[tuple[list[re.Match], list[str], int, int]]:
    """(matches, strings, first token, token count) of each pyvi word of a labelled batch,
    punctuation left out."""
    for chunk, tokens, lengths in batch:
        i = 0
        for length in lengths:
            if tokens[i][0].isalnum():
                yield chunk, tokens, i, length
            i += length


def syllable_batches(text: str, segment_words: bool = True) -> Iterator[list[Syllable]]:
    """The syllables of `text`, with offsets and pyvi's words, in batches of whole sentences."""
    for batch in _labelled_batches(text, segment_words):
        yield [Syllable(tokens[j], chunk[j].start(), chunk[j].end(), j == i, length if j == i else 0)
               for chunk, tokens, i, length in _words(batch) for j in range(i, i + length)]


def word_strings(text: str) -> Iterator[list[str]]:
    """Each pyvi word of `text` as the list of its syllables' strings (what indexing needs of
    `syllable_batches`, without offsets)."""
    for batch in _labelled_batches(text, True):
        for _, tokens, i, length in _words(batch):
            yield tokens[i:i + length]


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
    """A field's analysis computed ahead, in a worker process: the count of each distinct term
    ({term: frequency}, as Whoosh's Frequency format counts them), the field's forward
    sequence (`forward_hash` of each folded syllable, in order) and beside it each syllable's
    `mark_code` (which of the accented forms of that folded syllable it is)."""

    counts: dict[str, int]
    forward: array = array("I")
    marks: array = array("H")


@lru_cache(maxsize=500_000)
def forward_hash(folded: str) -> int:
    """A folded term as a non-zero 32-bit number (0 separates fields in the forward file)."""
    return zlib.crc32(folded.encode("utf-8")) | 1


UNMARKED = 0  # mark code of a syllable written without marks
ANY_MARK = 0xFFFF  # mark code of a place whose marks were not recorded (matches every form)


@lru_cache(maxsize=500_000)
def mark_code(exact: str) -> int:
    """Which accented form of its folded syllable a normalised syllable is, as 16 bits:
    UNMARKED without marks, else a hash of the syllable (never UNMARKED or ANY_MARK). Two
    forms of one folded syllable ("bão", "báo") get different codes; a phrase's exact
    syllables are checked with them at the positions its folded hashes were found."""
    if fold_accents(exact) == exact:
        return UNMARKED
    return zlib.crc32(exact.encode("utf-8")) % (ANY_MARK - 1) + 1


@lru_cache(maxsize=500_000)
def _syllable_terms(syllable: str) -> tuple[str, str, int, int]:
    """A syllable as written → its exact term, its folded term, that term's forward hash and
    the syllable's mark code."""
    exact = normalize_syllable(syllable)
    folded = folded_term(exact)
    return exact, folded, forward_hash(folded), mark_code(exact)


def term_counts(text: str, forward: array | None = None, marks: array | None = None) -> dict[str, int]:
    """{term: frequency} of `text`'s tokens: the PIPELINE's, computed without Token objects.
    Phrases are checked on the forward file, not on positions: with `forward` (and `marks`),
    the folded syllables' hashes (and mark codes) are appended in order (every syllable has
    one folded token)."""
    counts: dict[str, int] = {}
    get = counts.get
    add = forward.append if forward is not None else None
    add_mark = marks.append if marks is not None else None
    for word in word_strings(text):
        terms = [_syllable_terms(syllable) for syllable in word]
        for exact, folded, hashed, marked in terms:
            counts[exact] = get(exact, 0) + 1
            counts[folded] = get(folded, 0) + 1
            if add is not None:
                add(hashed)
            if add_mark is not None:
                add_mark(marked)
        if len(terms) > 1:
            compound = word_term([t[0] for t in terms])
            counts[compound] = get(compound, 0) + 1
    return counts


def pre_analyze(text: str) -> PreAnalyzed:
    forward, marks = array("I"), array("H")
    return PreAnalyzed(term_counts(text, forward, marks), forward, marks)


def VietnameseAnalyzer() -> Composable:
    return VietnameseTokenizer() | NormalizeFilter() | TokenKindsFilter()


PIPELINE = VietnameseAnalyzer()

"""Highlights: query syllables (as typed: exact where typed with marks, any form where typed
without) in <mark>, at exact offsets of the original text; everything else HTML-escaped. No
pyvi here: marking needs syllables only."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html import escape
from itertools import takewhile

from .analysis import SYLLABLE, normalize_syllable
from .text import FOLD_TABLE, TONE_MARKS, fold_accents, has_accents

SNIPPET_CHARS = 160
SNIPPET_FRAGMENTS = 2
MAX_CANDIDATES = 400
SCAN_LIMIT = 300_000  # snippets look at the start of very long texts only
_WIDEN = 20  # _window_bounds widens a window by less than this to whole words


def matched_spans(text: str, sequences: set[tuple[str, ...]], limit: int | None = None
                  ) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, sequence) for every run of syllables of `text` that is a queried sequence:
    a syllable typed with marks only in that form, one typed without in any form; a compound
    is marked only where it stands whole ("đại hội", not "đại biểu")."""
    return list(_iter_spans(text, sequences, limit))


def _iter_spans(text: str, sequences: set[tuple[str, ...]], limit: int | None = None):
    """matched_spans, in order, found as they are asked for."""
    if not sequences:
        return
    scanned = text if limit is None else text[:limit]
    if _NOT_PLAIN().search(scanned):
        # marks apart from their letters, or full-width letters: syllable by syllable, normalised
        yield from _matched_spans_by_syllable(scanned, sequences)
        return
    pattern = _pattern(tuple(sorted(sequences, key=lambda seq: (-len(seq), seq))))
    for m in pattern.finditer(scanned):
        yield m.start(), m.end(), _folded_syllables(m.group())


@lru_cache(maxsize=4096)
def _folded_syllables(matched: str) -> tuple[str, ...]:
    """The folded syllables of a matched run ("Đại hội" → ("dai", "hoi")): few distinct runs recur
    many times in a text, so they are folded once."""
    return tuple(fold_accents(x.lower()) for x in SYLLABLE.findall(matched))


def _typed_match(found: list[str], typed: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The queried sequence that the normalised syllables `found` are, if any: each syllable
    typed with marks equal, each typed without any form of it (the folded forms are equal)."""
    for seq in typed:
        if all(not has_accents(want) or want == got for want, got in zip(seq, found)):
            return seq
    return None


def _letter(folded: str) -> str:
    """A regex for one folded letter: it and every accented letter that folds to it."""
    variants = _VARIANTS.get(folded)
    return f"[{folded}{variants}]" if variants else re.escape(folded)


@lru_cache(maxsize=1)
def _NOT_PLAIN() -> re.Pattern:
    """Combining marks (text not NFC) and the letters and digits that NFKC turns into others
    (full-width "ｂ", "ﬁ", "²"): such a text is matched syllable by syllable, normalised."""
    chars = [chr(c) for c in (*range(0xA0, 0x3000), *range(0xFB00, 0xFFF0))
             if chr(c).isalnum() and unicodedata.normalize("NFKC", chr(c)) != chr(c)]
    return re.compile(f"[\u0300-\u036f{re.escape(''.join(chars))}]")


_VARIANTS: dict[str, str] = {}
for _code, _base in FOLD_TABLE.items():
    if _base is not None and chr(_code).lower() == chr(_code):
        _VARIANTS[_base.lower()] = _VARIANTS.get(_base.lower(), "") + chr(_code)


@lru_cache(maxsize=256)
def _pattern(sequences: tuple[tuple[str, ...], ...]) -> re.Pattern:
    """Whole syllables in order, in any case, anything but a syllable between them; longest
    sequences first, so that a compound wins over its first syllable. A syllable typed with
    marks matches those marks only (in either tone placement), one typed without any marks."""
    options = [r"[\W_]+".join(_syllable_pattern(s) for s in seq) for seq in sequences]
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(options)})(?![^\W_])", re.IGNORECASE)


def _syllable_pattern(syllable: str) -> str:
    if not has_accents(syllable):
        return "".join(_letter(c) for c in syllable)
    return "(?:" + "|".join(re.escape(form) for form in sorted(_spellings(syllable))) + ")"


def _spellings(syllable: str) -> set[str]:
    """The NFC spellings that normalise to `syllable`: the tone mark on any of its vowels
    ("hoà", "hòa"), kept where normalize agrees."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in TONE_MARKS]
    forms = {syllable}
    if len(tones) == 1:
        base = [c for c in decomposed if c != tones[0]]
        for i, c in enumerate(base):
            if fold_accents(c).lower() in "aeiouy" and not unicodedata.combining(c):
                form = unicodedata.normalize("NFC", "".join(base[:i + 1] + [tones[0]] + base[i + 1:]))
                if normalize_syllable(form) == syllable:
                    forms.add(form)
    return forms


def _matched_spans_by_syllable(text: str, sequences: set[tuple[str, ...]]) -> list[tuple[int, int, tuple[str, ...]]]:
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for seq in sorted(sequences, key=len, reverse=True):
        by_first.setdefault(fold_accents(seq[0]), []).append(seq)
    tokens = [(m.start(), m.end(), normalize_syllable(m.group())) for m in SYLLABLE.finditer(text)]
    forms = [fold_accents(t[2]) for t in tokens]
    spans = []
    i = 0
    while i < len(tokens):
        for seq in by_first.get(forms[i], ()):
            found = [t[2] for t in tokens[i:i + len(seq)]]
            if tuple(forms[i:i + len(seq)]) == tuple(fold_accents(x) for x in seq) and _typed_match(found, [seq]):
                spans.append((tokens[i][0], tokens[i + len(seq) - 1][1], seq))
                i += len(seq)
                break
        else:
            i += 1
    return spans


def _merge(spans: list[tuple[int, int, tuple]], text: str) -> list[tuple[int, int]]:
    """Adjacent marked syllables separated by spaces become one mark: <mark>Đại hội</mark>."""
    merged: list[list[int]] = []
    for start, end, _ in spans:
        if merged and not text[merged[-1][1]:start].strip(" "):
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def mark(text: str, forms: set[tuple[str, ...]], start: int = 0, end: int | None = None,
         spans: list[tuple[int, int, tuple]] | None = None) -> str:
    """text[start:end] escaped, with the queried syllables inside it marked."""
    end = len(text) if end is None else end
    if spans is None:
        spans = matched_spans(text[start:end], forms)
        spans = [(s + start, e + start, f) for s, e, f in spans]
    inside = [s for s in spans if s[0] >= start and s[1] <= end]
    out, cursor = [], start
    for s, e in _merge(inside, text):
        out.append(escape(text[cursor:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        cursor = e
    out.append(escape(text[cursor:end]))
    return "".join(out)


def _window_bounds(text: str, first: int, last: int, width: int) -> tuple[int, int]:
    """About `width` characters around text[first:last], widened to whole words."""
    pad = max(0, width - (last - first))
    start = max(0, first - pad // 3)
    end = min(len(text), last + pad - pad // 3)
    if start > 0:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space != -1 and start - space < _WIDEN else start
    if end < len(text):
        space = text.find(" ", end)
        end = space if space != -1 and space - end < _WIDEN else end
    return start, end


def _candidate_spans(text: str, forms: set[tuple[str, ...]], width: int) -> list[tuple[int, int, tuple]]:
    """The spans a snippet can use: the first MAX_CANDIDATES, and after them those a window
    starting at one of them can reach (a window spans `width` characters, widened by less than
    _WIDEN on either side to whole words); the text after them is not scanned."""
    spans: list[tuple[int, int, tuple]] = []
    reach = None
    for span in _iter_spans(text, forms, limit=SCAN_LIMIT):
        if reach is not None and span[0] > reach:
            break
        spans.append(span)
        if len(spans) == MAX_CANDIDATES:
            reach = span[0] + width + _WIDEN
    return spans


def snippet(text: str, forms: set[tuple[str, ...]], width: int = SNIPPET_CHARS, fragments: int = SNIPPET_FRAGMENTS) -> str:
    """The best fragments of `text` for the queried forms, joined by " … "."""
    spans = _candidate_spans(text, forms, width)
    if not spans:
        _, end = _window_bounds(text, 0, 0, width * fragments)
        return escape(text[:end].strip()) + (" …" if end < len(text) else "")
    chosen: list[tuple[int, int]] = []
    candidates = []
    for i, (s, _, _) in enumerate(spans[:MAX_CANDIDATES]):
        window = list(takewhile(lambda sp: sp[1] - s <= width, spans[i:]))
        candidates.append((len({f for _, _, f in window}), len(window), -s, s, window[-1][1]))
    for distinct, count, _, s, e in sorted(candidates, reverse=True):
        bounds = _window_bounds(text, s, e, width)
        if any(bounds[0] < c_end and c_start < bounds[1] for c_start, c_end in chosen):
            continue
        chosen.append(bounds)
        if len(chosen) == fragments:
            break
    chosen.sort()
    parts = []
    for start, end in chosen:
        body = mark(text, forms, start, end, spans).strip()
        parts.append(("… " if start > 0 else "") + body + (" …" if end < len(text) else ""))
    return " ".join(parts).replace("… …", "…")

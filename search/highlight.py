"""Highlights: query syllables (accented or folded matches alike) in <mark>, at exact offsets
of the original text; everything else HTML-escaped. No pyvi here: marking needs syllables only."""
from __future__ import annotations

import re
from html import escape
from itertools import takewhile

from .text import fold_accents

_SYLLABLE = re.compile(r"[^\W_]+")
SNIPPET_CHARS = 220
SNIPPET_FRAGMENTS = 2
MAX_CANDIDATES = 400
SCAN_LIMIT = 300_000  # snippets look at the start of very long texts only


def matched_spans(text: str, forms: set[str], limit: int | None = None) -> list[tuple[int, int, str]]:
    """(start, end, folded form) of every syllable of `text` whose folded form is queried."""
    if not forms:
        return []
    spans = []
    scanned = text if limit is None else text[:limit]
    for m in _SYLLABLE.finditer(scanned):
        form = fold_accents(m.group().lower())
        if form in forms:
            spans.append((m.start(), m.end(), form))
    return spans


def _merge(spans: list[tuple[int, int, str]], text: str) -> list[tuple[int, int]]:
    """Adjacent marked syllables separated by spaces become one mark: <mark>Đại hội</mark>."""
    merged: list[list[int]] = []
    for start, end, _ in spans:
        if merged and not text[merged[-1][1]:start].strip(" "):
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def mark(text: str, forms: set[str], start: int = 0, end: int | None = None,
         spans: list[tuple[int, int, str]] | None = None) -> str:
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


def _window_bounds(text: str, center_start: int, center_end: int, width: int) -> tuple[int, int]:
    room = max(0, width - (center_end - center_start)) // 2
    start = max(0, center_start - room // 2)
    end = min(len(text), center_end + room + room // 2)
    if start > 0:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space != -1 and start - space < 30 else start
    if end < len(text):
        space = text.find(" ", end)
        end = space if space != -1 and space - end < 30 else end
    return start, end


def snippet(text: str, forms: set[str], width: int = SNIPPET_CHARS, fragments: int = SNIPPET_FRAGMENTS) -> str:
    """The best fragments of `text` for the queried forms, joined by " … "."""
    spans = matched_spans(text, forms, limit=SCAN_LIMIT)
    if not spans:
        start, end = _window_bounds(text, 0, 0, width * 2 if forms is not None else width)
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

"""Vietnamese text normalisation: one named pipeline, used for documents and queries alike.

    NORMALIZATION_PIPELINE = (to_nfkc, normalize_tones, str.lower)

`normalize` runs it; `fold_accents` removes every mark (đ → d) for accent-insensitive
matching. All functions are pure, total (never raise on any str) and idempotent.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining tone marks: grave, acute, tilde, hook above, dot below (and the legacy tone code points).
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0340\u0341")
VOWELS = frozenset("aăâeêioôơuưyAĂÂEÊIOÔƠUƯY")
HATTED_VOWELS = frozenset("ăâêôơưĂÂÊÔƠƯ")
# Open syllables where conventions disagree; we follow pyvi's dictionary: hoà, khoẻ, thuỷ, uỷ.
SECOND_VOWEL_CLUSTERS = frozenset({"oa", "oe", "uy"})


def to_nfc(text: str) -> str:
    """Compose combining marks so decomposed (NFD) text equals precomposed text."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def to_nfkc(text: str) -> str:
    """NFC, and compatibility forms as their plain letters: full-width "ｂａｏ" → "bao", "ﬁ" → "fi"."""
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def _tone_position(base: str) -> int | None:
    """Index in `base` (a syllable without its tone mark) of the vowel that carries the tone."""
    lower = base.lower()
    start = 0
    while start < len(lower) and lower[start] not in VOWELS:
        start += 1
    # In "qu" and "gi" before another vowel the u/i belongs to the consonant: quý, quả, giữ.
    if start < len(lower) - 1 and lower[start + 1] in VOWELS and (
        (lower[start] == "u" and lower[start - 1:start] == "q")
        or (lower[start] == "i" and lower[start - 1:start] == "g")
    ):
        start += 1
    end = start
    while end < len(lower) and lower[end] in VOWELS:
        end += 1
    if start == end:
        return None
    if end < len(lower) and any(c in VOWELS for c in lower[end:]):
        return None  # not a single Vietnamese syllable (a foreign word): leave it alone
    cluster = lower[start:end]
    hatted = [i for i, c in enumerate(cluster) if c in HATTED_VOWELS]
    if hatted:
        return start + hatted[-1]  # ươ → ơ, uô → ô, iê → ê
    if len(cluster) == 1:
        return start
    if end < len(lower):  # closed syllable: the last vowel (hoàng, toán, khuynh)
        return end - 1
    if len(cluster) == 3:  # ngoài, xoáy, khuỷu
        return start + 1
    if cluster in SECOND_VOWEL_CLUSTERS:
        return start + 1
    return start  # mái, mùa, kìa, gửi


@lru_cache(maxsize=200_000)
def _canonical_syllable(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) != 1:
        return syllable
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    position = _tone_position(base)
    if position is None:
        return syllable
    toned = unicodedata.normalize("NFC", base[position] + tones[0])
    return base[:position] + toned + base[position + 1:]


def _has_tone(char: str) -> bool:
    return any(c in TONE_MARKS for c in unicodedata.normalize("NFD", char))


_TONED_CHARS = "".join(
    c for c in map(chr, range(0xC0, 0x1EFA)) if c.isalpha() and _has_tone(c) and c.lower() != c.upper()
)
_TONED_WORD = re.compile(rf"[^\W\d_]*[{re.escape(_TONED_CHARS)}][^\W\d_]*")


def normalize_tones(text: str) -> str:
    """Put every tone mark where the one convention wants it: hòa → hoà, thúy → thuý, qúy → quý."""
    # A stray combining mark after a re-toned syllable could compose anew: keep the result NFC.
    return to_nfc(_TONED_WORD.sub(lambda m: _canonical_syllable(m.group()), text))


NORMALIZATION_PIPELINE = (to_nfkc, normalize_tones, str.lower)


def normalize(text: str) -> str:
    for stage in NORMALIZATION_PIPELINE:
        text = stage(text)
    return text


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord("đ"): "d", ord("Đ"): "D"}
    for code in range(0xC0, 0x1EFA):
        char = chr(code)
        stripped = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        if stripped != char and len(stripped) == 1 and stripped.isascii():
            table[code] = stripped
    for code in range(0x300, 0x370):  # stray combining marks left in non-NFC input
        table[code] = None
    return table


_FOLD = FOLD_TABLE = _fold_table()


def fold_accents(text: str) -> str:
    """Remove all Vietnamese marks: "Đại hội" → "Dai hoi"."""
    return text.translate(_FOLD)


def has_accents(text: str) -> bool:
    return fold_accents(text) != text

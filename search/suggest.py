"""Did-you-mean from the index's own vocabulary: a misspelled syllable ("thôngg"), a wrong or
missing diacritic ("đai hội" → "đại hội") is replaced by the spelling the index uses most."""
from __future__ import annotations


from .analysis import SYLLABLE
from .query import QUERY_TOKENS
from .text import fold_accents, normalize, to_nfc
from .vocabulary import Vocabulary

_LETTERS = "abcdefghijklmnopqrstuvwxyzđ" + "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
MIN_COMPOUND_SHARE = 0.5
MAX_SYLLABLE = 12


def _edits(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    return out


def closest_syllable(syllable: str, vocabulary: Vocabulary) -> str | None:
    """The most used indexed syllable one edit away (accents count as letters)."""
    if syllable in vocabulary.syllable_df or len(syllable) > MAX_SYLLABLE or syllable.isdigit():
        return None
    same_letters = vocabulary.syllables.get(fold_accents(syllable))
    if same_letters:  # only the marks differ: the index's usual spelling
        return same_letters[0][0][0]
    edits = _edits(syllable)
    candidates = [c for c in edits if c in vocabulary.syllable_df]
    # One edit away once marks are ignored: "thongg" → "thong" → the index's "thông".
    candidates += [vocabulary.syllables[f][0][0][0] for f in _edits(fold_accents(syllable))
                   if f in vocabulary.syllables]
    return max(candidates, key=lambda c: vocabulary.syllable_df[c], default=None)


def suggest(query: str, vocabulary: Vocabulary) -> str | None:
    """The corrected query string, or None when nothing would change."""
    query = to_nfc(query)
    # Excluded words, filters and operators are left as typed.
    kept = [m.span() for m in QUERY_TOKENS.finditer(query)
            if m.group("neg") or m.group("or") or (m.group("field") not in (None, "title"))]
    matches = [m for m in SYLLABLE.finditer(query) if not any(a <= m.start() < b for a, b in kept)]
    words = [normalize(m.group()) for m in matches]
    fixed = [closest_syllable(w, vocabulary) or w for w in words]
    for i in range(len(fixed) - 1):  # a pair the index writes differently: "đai hội" → "đại hội"
        pair = (fixed[i], fixed[i + 1])
        spellings = vocabulary.compounds.get(tuple(fold_accents(s) for s in pair), [])
        if spellings and pair not in {s for s, _ in spellings} and spellings[0][1] >= MIN_COMPOUND_SHARE:
            if all(vocabulary.syllable_df.get(s, 0) > 0 for s in spellings[0][0]) and any(map(_accented, pair)):
                fixed[i], fixed[i + 1] = spellings[0][0]
    if fixed == words:
        return None
    out, cursor = [], 0
    for match, old, new in zip(matches, words, fixed):
        out.append(query[cursor:match.start()])
        out.append(match.group() if old == new else _same_case(match.group(), new))
        cursor = match.end()
    out.append(query[cursor:])
    return "".join(out)


def _accented(syllable: str) -> bool:
    return fold_accents(syllable) != syllable


def _same_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement

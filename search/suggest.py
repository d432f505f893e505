"""Did-you-mean from the index's own vocabulary: a misspelled syllable ("thôngg"), a wrong or
missing diacritic ("đai hội" → "đại hội") is replaced by the spelling the index uses most."""
from __future__ import annotations


from .analysis import SYLLABLE
from .query import QUERY_TOKENS, matching_mode
from .text import fold_accents, normalize, to_nfkc
from .vocabulary import Vocabulary

_PLAIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_LETTERS = _PLAIN_LETTERS + "đ" + "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
MIN_COMPOUND_SHARE = 0.5
SUGGEST_BELOW = 3  # results: fewer than this, and a did-you-mean is looked for
MAX_SYLLABLE = 12


def _edits(word: str, letters: str = _LETTERS) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out |= {a + c + b for a, b in splits for c in letters}
    return out


def closest_syllable(syllable: str, vocabulary: Vocabulary, accentless: bool = False) -> str | None:
    """The most used indexed syllable one edit away. In an accentless query ("giao duc dai hocc")
    a syllable without marks: any form of it counts as known, and the correction has no marks
    either. Else accents count as letters, and a correction that keeps the typed marks
    ("dụcc" → "dục") is preferred to one that only matches once marks are ignored ("được")."""
    if len(syllable) > MAX_SYLLABLE or syllable.isdigit():
        return None
    if accentless:
        if syllable in vocabulary.syllables:
            return None
        candidates = [f for f in _edits(syllable, _PLAIN_LETTERS) if f in vocabulary.syllables]
        return max(candidates, key=lambda f: (_folded_df(f, vocabulary), f), default=None)
    if syllable in vocabulary.syllable_df:
        return None
    same_letters = vocabulary.syllables.get(fold_accents(syllable))
    if same_letters:  # only the marks differ: the index's usual spelling
        return same_letters[0][0][0]
    candidates = [c for c in _edits(syllable) if c in vocabulary.syllable_df]
    if not candidates:  # one edit away once marks are ignored: "thôngg" → "thong" → "thông"
        candidates = [vocabulary.syllables[f][0][0][0] for f in _edits(fold_accents(syllable))
                      if f in vocabulary.syllables]
    return max(candidates, key=lambda c: (vocabulary.syllable_df[c], c), default=None)


def _folded_df(folded: str, vocabulary: Vocabulary) -> int:
    """How many documents use the most common spelling of a folded syllable."""
    return vocabulary.syllable_df.get(vocabulary.syllables[folded][0][0][0], 0)


def suggest(query: str, vocabulary: Vocabulary) -> str | None:
    """The corrected query string in the style it was typed (without marks if it has none, every
    syllable with the index's marks if it has some), or None when nothing would change."""
    query = to_nfkc(query)
    # Excluded words, filters and operators are left as typed.
    kept = [m.span() for m in QUERY_TOKENS.finditer(query)
            if m.group("neg") or m.group("or") or (m.group("field") not in (None, "title"))]
    matches = [m for m in SYLLABLE.finditer(query) if not any(a <= m.start() < b for a, b in kept)]
    words = [normalize(m.group()) for m in matches]
    accentless = not any(map(_accented, words))
    fixed = [closest_syllable(w, vocabulary, accentless) or w for w in words]
    if not accentless:
        for i in range(len(fixed) - 1):  # a pair the index writes differently: "đai hội" → "đại hội"
            pair = (fixed[i], fixed[i + 1])
            spellings = vocabulary.compounds.get(tuple(fold_accents(s) for s in pair), [])
            if spellings and pair not in {s for s, _ in spellings} and spellings[0][1] >= MIN_COMPOUND_SHARE:
                if all(vocabulary.syllable_df.get(s, 0) > 0 for s in spellings[0][0]):
                    fixed[i], fixed[i + 1] = spellings[0][0]
        # Never half accented: a syllable still without marks takes the index's usual spelling.
        fixed = [vocabulary.syllables[w][0][0][0] if not _accented(w) and w in vocabulary.syllables else w
                 for w in fixed]
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


def suggestion_threshold(total: int, mode: str, parsed, typed, vocabulary: Vocabulary) -> int | None:
    """When a did-you-mean is worth looking for, the articles it must find at least: more than
    the query found, or as many but spelled as the index spells it (a typed spelling the index
    does not have); any, when the query fell back to marks ignored or to any word. None: no
    suggestion (an empty query; enough results, spelled as the index spells them). `typed`: the
    ParsedQuery as typed; `parsed` the one searched (it or its reading) with matching `mode`."""
    if parsed.is_empty:
        return None
    fell_back = mode != matching_mode(parsed) or parsed is not typed
    unknown_spelling = any(u.accented and any(x not in vocabulary.syllable_df for x in u.syllables)
                           for u in typed.units)
    if not (total < SUGGEST_BELOW or fell_back or unknown_spelling):
        return None
    return 1 if fell_back else (max(total, 1) if unknown_spelling else total + 1)

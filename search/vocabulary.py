"""The index's own vocabulary, for restoring diacritics of accentless queries and for
did-you-mean: which accented syllables and compounds stand behind a folded form, how often.

"dai hoi dang bo" → compounds (đại hội) (đảng bộ), each with the share of documents that
use that spelling among all spellings that fold alike.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .analysis import FOLDED_PREFIX, WORD_JOINER, WORD_PREFIX
from .text import fold_accents

MAX_COMPOUND = 4  # syllables
MAX_VARIANTS = 3
MIN_SHARE = 0.05

Variants = list[tuple[tuple[str, ...], float]]  # (accented syllables, share of documents)


@dataclass
class Vocabulary:
    syllables: dict[str, Variants] = field(default_factory=dict)  # folded syllable -> accented
    compounds: dict[tuple[str, ...], Variants] = field(default_factory=dict)  # folded -> accented
    syllable_df: dict[str, int] = field(default_factory=dict)  # exact syllable -> documents

    @classmethod
    def from_reader(cls, reader, fieldname: str = "text") -> "Vocabulary":
        min_df = 1 if reader.doc_count() < 1000 else 2
        syllables: dict[str, list] = defaultdict(list)
        compounds: dict[tuple[str, ...], list] = defaultdict(list)
        syllable_df: dict[str, int] = {}
        for raw, info in reader.iter_field(fieldname):
            term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            df = info.doc_frequency()
            if term.startswith(WORD_PREFIX):
                if df >= min_df:
                    parts = tuple(term[len(WORD_PREFIX):].split(WORD_JOINER))
                    compounds[tuple(fold_accents(p) for p in parts)].append((parts, df))
            elif not term.startswith(FOLDED_PREFIX):
                syllable_df[term] = df
                syllables[fold_accents(term)].append(((term,), df))
        return cls(_shares(syllables), _shares(compounds), syllable_df)

    def segment_folded(self, folded: list[str]) -> list[tuple[int, int]]:
        """Greedy longest runs of folded syllables that the index knows as compounds."""
        spans, i = [], 0
        while i < len(folded):
            for n in range(min(MAX_COMPOUND, len(folded) - i), 1, -1):
                if tuple(folded[i:i + n]) in self.compounds:
                    spans.append((i, i + n))
                    i += n
                    break
            else:
                spans.append((i, i + 1))
                i += 1
        return spans

    def restorations(self, folded: tuple[str, ...]) -> Variants:
        table = self.compounds if len(folded) > 1 else self.syllables
        key = folded if len(folded) > 1 else folded[0]
        return table.get(key, [])


def _shares(table: dict) -> dict:
    out = {}
    for key, variants in table.items():
        total = sum(df for _, df in variants)
        ranked = sorted(variants, key=lambda v: -v[1])[:MAX_VARIANTS]
        kept = [(spelling, df / total) for spelling, df in ranked if df / total >= MIN_SHARE]
        if kept:
            out[key] = kept
    return out

"""The index's own vocabulary, for restoring diacritics of accentless queries and for
did-you-mean: which accented syllables and compounds stand behind a folded form, how often.

"dai hoi dang bo" → compounds (đại hội) (đảng bộ), each with the share of documents that
use that spelling among all spellings that fold alike.
"""
from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from .analysis import FOLDED_PREFIX, WORD_JOINER, WORD_PREFIX
from .text import fold_accents, has_accents

MAX_COMPOUND = 4  # syllables
MAX_VARIANTS = 3
MIN_SHARE = 0.05

Variants = list[tuple[tuple[str, ...], float]]  # (accented syllables, share of documents)


@dataclass
class Vocabulary:
    syllables: dict[str, Variants] = field(default_factory=dict)  # folded syllable -> accented
    compounds: dict[tuple[str, ...], Variants] = field(default_factory=dict)  # folded -> accented
    syllable_df: dict[str, int] = field(default_factory=dict)  # exact syllable -> documents
    compound_df: dict[tuple[str, ...], int] = field(default_factory=dict)  # folded compound -> documents

    @classmethod
    def from_reader(cls, reader, fieldname: str = "text") -> "Vocabulary":
        """From a store.reader.GenerationReader's document frequencies."""
        min_df = 1 if reader.doc_count() < 1000 else 2
        syllables: dict[str, list] = defaultdict(list)
        compounds: dict[tuple[str, ...], list] = defaultdict(list)
        syllable_df: dict[str, int] = {}
        for raw, df in reader.doc_frequencies(fieldname):
            term = raw.decode("utf-8")
            if term.startswith(WORD_PREFIX):
                if df >= min_df:
                    parts = tuple(term[len(WORD_PREFIX):].split(WORD_JOINER))
                    compounds[tuple(fold_accents(p) for p in parts)].append((parts, df))
            elif not term.startswith(FOLDED_PREFIX):
                syllable_df[term] = df
                syllables[fold_accents(term)].append(((term,), df))
        shares = _shares(compounds)
        compound_df = {key: sum(df for _, df in variants) for key, variants in compounds.items() if key in shares}
        return cls(_shares(syllables), shares, syllable_df, compound_df)

    def segment_folded(self, folded: list[str]) -> list[tuple[int, int]]:
        """The split of folded syllables into the index's compounds that weighs most, each
        compound weighing (its syllables - 1) × log(its documents): a common word wins over a
        rare one it overlaps, whichever comes first ("dang dai hoi" → dang | đại hội, not
        dằng dai | hoi), so reordering words does not regroup them."""
        best: list[tuple[float, int, list[tuple[int, int]]]] = [(0.0, 0, [])]  # (weight, -units, spans)
        for end in range(1, len(folded) + 1):
            weight, units, spans = best[end - 1]
            options = [(weight, units - 1, spans + [(end - 1, end)])]
            for n in range(2, min(MAX_COMPOUND, end) + 1):
                key = tuple(folded[end - n:end])
                if key in self.compounds:
                    weight, units, spans = best[end - n]
                    gain = (n - 1) * math.log(max(self.compound_df.get(key, 2), 2))
                    options.append((weight + gain, units - 1, spans + [(end - n, end)]))
            best.append(max(options, key=lambda o: (o[0], o[1])))
        return best[-1][2]

    def with_prefix(self, prefix: str, limit: int) -> tuple[list[str], int]:
        """(the syllables of the index that begin with `prefix`, most documents first, at most
        `limit` of them; how many there are). Marks as typed: a prefix with marks, the syllables
        beginning with exactly those letters ("thông" → thông, not thống); without marks, the
        folded syllables beginning so (each standing for all its forms)."""
        if has_accents(prefix):
            names, frequencies = self._exact_sorted
        else:
            names, frequencies = self._folded_sorted
        first = bisect.bisect_left(names, prefix)
        last = bisect.bisect_left(names, prefix + "\U0010ffff")
        found = sorted(range(first, last), key=lambda i: (-frequencies[i], names[i]))
        return [names[i] for i in found[:limit]], last - first

    @cached_property
    def _exact_sorted(self) -> tuple[list[str], list[int]]:
        names = sorted(self.syllable_df)
        return names, [self.syllable_df[name] for name in names]

    @cached_property
    def _folded_sorted(self) -> tuple[list[str], list[int]]:
        folded: dict[str, int] = defaultdict(int)
        for name, df in self.syllable_df.items():
            folded[fold_accents(name)] += df  # documents of any form: an upper bound, for ordering
        names = sorted(folded)
        return names, [folded[name] for name in names]

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

"""The index's own vocabulary, for restoring diacritics of accentless queries and for
did-you-mean: which accented syllables and compounds stand behind a folded form, how often.

"dai hoi dang bo" → compounds (đại hội) (đảng bộ), each with the share of documents that
use that spelling among all spellings that fold alike.
"""
from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from .analysis import FOLDED_PREFIX, WORD_JOINER, WORD_PREFIX
from .store.tables import StringTable, decode_variants, encode_variants
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
    compound_df: dict[tuple[str, ...], int] = field(default_factory=dict)  # folded compound -> documents

    @classmethod
    def from_reader(cls, reader, fieldname: str = "text") -> "Vocabulary":
        """From a store.reader.GenerationReader's document frequencies (in memory)."""
        return cls(*derive(reader.doc_frequencies(fieldname), reader.doc_count()))

    @classmethod
    def of_store(cls, reader) -> "Vocabulary":
        """The generation's written vocabulary, memory-mapped; computed from the document
        frequencies when it has none of its version (an update killed before writing it)."""
        tables = reader.vocabulary_tables()
        if tables is None:
            return cls.from_reader(reader)
        return cls(_Table(tables["syllables"], _variants), _Table(tables["compounds"], _variants, compound=True),
                   _Table(tables["syllable_df"], _integer), _Table(tables["compounds"], _integer, compound=True))

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

    def restorations(self, folded: tuple[str, ...]) -> Variants:
        table = self.compounds if len(folded) > 1 else self.syllables
        key = folded if len(folded) > 1 else folded[0]
        return table.get(key, [])


def derive(frequencies, doc_count: int) -> tuple[dict, dict, dict, dict]:
    """(syllables, compounds, syllable_df, compound_df) from (term, document frequency) pairs."""
    min_df = 1 if doc_count < 1000 else 2
    syllables: dict[str, list] = defaultdict(list)
    compounds: dict[tuple[str, ...], list] = defaultdict(list)
    syllable_df: dict[str, int] = {}
    for raw, df in frequencies:
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
    return _shares(syllables), shares, syllable_df, compound_df


def tables_of(frequencies, doc_count: int) -> dict[str, tuple[list[str], list[str] | None, list[int] | None]]:
    """The vocabulary as store.tables writes it: syllables, compounds (with their document
    counts) and the documents of each exact syllable."""
    syllables, compounds, syllable_df, compound_df = derive(frequencies, doc_count)
    keys = list(compounds)
    return {
        "syllables": (list(syllables), [encode_variants(v) for v in syllables.values()], None),
        "compounds": ([" ".join(k) for k in keys], [encode_variants(compounds[k]) for k in keys],
                      [compound_df[k] for k in keys]),
        "syllable_df": (list(syllable_df), None, list(syllable_df.values())),
    }


def _variants(table: StringTable, row: int) -> Variants:
    return decode_variants(table.text(row))


def _integer(table: StringTable, row: int) -> int:
    return int(table.ints[row])


class _Table(Mapping):
    """A read-only mapping over a memory-mapped table (keys of compounds are tuples of syllables)."""

    def __init__(self, table: StringTable, value, compound: bool = False):
        self._table, self._value, self._compound = table, value, compound
        self._get = functools.lru_cache(maxsize=4096)(self._lookup)

    def _lookup(self, key):
        row = self._table.find(" ".join(key) if self._compound else key)
        return None if row < 0 else self._value(self._table, row)

    def __getitem__(self, key):
        found = self._get(key) if isinstance(key, (str, tuple)) else None
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key) -> bool:
        return isinstance(key, (str, tuple)) and self._get(key) is not None

    def get(self, key, default=None):
        found = self._get(key) if isinstance(key, (str, tuple)) else None
        return default if found is None else found

    def __len__(self) -> int:
        return len(self._table)

    def __iter__(self):
        for key, _ in self._table.items():
            yield tuple(key.split(" ")) if self._compound else key


def _shares(table: dict) -> dict:
    out = {}
    for key, variants in table.items():
        total = sum(df for _, df in variants)
        ranked = sorted(variants, key=lambda v: -v[1])[:MAX_VARIANTS]
        kept = [(spelling, df / total) for spelling, df in ranked if df / total >= MIN_SHARE]
        if kept:
            out[key] = kept
    return out

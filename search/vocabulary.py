"""The index's own vocabulary, for restoring diacritics of accentless queries and for
did-you-mean: which accented syllables and compounds stand behind a folded form, how often.

"dai hoi dang bo" → compounds (đại hội) (đảng bộ), each with the share of documents that
use that spelling among all spellings that fold alike.
"""
from __future__ import annotations

import bisect
import functools
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from .analysis import FOLDED_PREFIX, WORD_JOINER, WORD_PREFIX
from .store.tables import StringTable, decode_spellings, encode_spellings
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
    spellings: "_Spellings | None" = field(default=None, compare=False, repr=False)  # written syllables table

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
        min_df = 1 if reader.doc_count() < 1000 else 2
        syllables = _Spellings(tables["syllables"], tables.get("syllables+"))
        compounds = _Spellings(tables["compounds"], tables.get("compounds+"))
        return cls(_Lookup(syllables, _syllable_variants), _Lookup(compounds, _compound_variants(min_df), True),
                   _Lookup(syllables, _syllable_df, exact=True), _Lookup(compounds, _compound_df(min_df), True),
                   syllables)

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
        if self.spellings is not None:
            return self._prefixed_in_tables(prefix, limit)
        if has_accents(prefix):
            names, frequencies = self._exact_sorted
        else:
            names, frequencies = self._folded_sorted
        first = bisect.bisect_left(names, prefix)
        last = bisect.bisect_left(names, prefix + "\U0010ffff")
        found = sorted(range(first, last), key=lambda i: (-frequencies[i], names[i]))
        return [names[i] for i in found[:limit]], last - first

    def _prefixed_in_tables(self, prefix: str, limit: int) -> tuple[list[str], int]:
        """with_prefix over the written tables: only the run of folded keys the prefix's folded
        form begins, not the whole vocabulary."""
        found: list[tuple[str, int]] = []
        exact = has_accents(prefix)
        for key, spellings in self.spellings.with_prefix(fold_accents(prefix)):
            if exact:
                found.extend((spelling, df) for spelling, df in spellings if spelling.startswith(prefix))
            elif key.startswith(prefix):
                found.append((key, sum(df for _, df in spellings)))
        found.sort(key=lambda named: (-named[1], named[0]))
        return [name for name, _ in found[:limit]], len(found)

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


def spellings_of(frequencies) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """The vocabulary as written: per folded syllable and per folded compound (syllables joined by
    spaces), every spelling met with its documents, in the order met."""
    syllables: dict[str, dict[str, int]] = defaultdict(dict)
    compounds: dict[str, dict[str, int]] = defaultdict(dict)
    for raw, df in frequencies:
        term = raw.decode("utf-8")
        if term.startswith(WORD_PREFIX):
            parts = term[len(WORD_PREFIX):].split(WORD_JOINER)
            compounds[" ".join(fold_accents(p) for p in parts)][" ".join(parts)] = df
        elif not term.startswith(FOLDED_PREFIX):
            syllables[fold_accents(term)][term] = df
    return syllables, compounds


def encoded(table: dict[str, dict[str, int]]) -> tuple[list[str], list[str]]:
    """A spellings table as store.tables writes it: keys and texts."""
    return list(table), [encode_spellings(list(spellings.items())) for spellings in table.values()]


def added_spellings(tables: dict, frequencies) -> dict[str, dict[str, dict[str, int]]]:
    """The small tables an update writes ("syllables+", "compounds+"): every key the new
    `frequencies` touch (and every key the previous small tables held), with all its spellings
    and their documents now."""
    new_syllables, new_compounds = spellings_of(frequencies)
    out = {}
    for name, fresh in (("syllables", new_syllables), ("compounds", new_compounds)):
        base, added = tables[name], tables.get(name + "+")
        merged: dict[str, dict[str, int]] = {}
        if added is not None:
            for key, row in added.items():
                merged[key] = dict(decode_spellings(added.text(row)))
        for key, spellings in fresh.items():
            current = merged.get(key)
            if current is None:
                row = base.find(key)
                current = dict(decode_spellings(base.text(row))) if row >= 0 else {}
                merged[key] = current
            for spelling, df in spellings.items():
                current[spelling] = current.get(spelling, 0) + df
        out[name + "+"] = merged
    return out


class _Spellings:
    """A written spellings table and the update's small one over it (which wins)."""

    def __init__(self, base: StringTable, added: StringTable | None):
        self.base, self.added = base, added

    def get(self, key: str) -> list[tuple[str, int]] | None:
        for table in (self.added, self.base):
            if table is not None:
                row = table.find(key)
                if row >= 0:
                    return decode_spellings(table.text(row))
        return None

    def with_prefix(self, prefix: str):
        """(folded key, its spellings) of every key that begins with `prefix`, the update's small
        table over the large one."""
        seen = set()
        for table in (self.added, self.base):
            if table is None:
                continue
            for row in table.prefixed(prefix):
                key = table.key(row).decode("utf-8", "surrogatepass")
                if key not in seen:
                    seen.add(key)
                    yield key, decode_spellings(table.text(row))

    def keys(self):
        seen = set()
        if self.added is not None:
            for key, _ in self.added.items():
                seen.add(key)
                yield key
        for key, _ in self.base.items():
            if key not in seen:
                yield key


def _syllable_variants(spellings: list[tuple[str, int]], key) -> Variants | None:
    return _shared([((s,), df) for s, df in spellings])


def _compound_variants(min_df: int):
    def variants(spellings: list[tuple[str, int]], key) -> Variants | None:
        return _shared([(tuple(s.split(" ")), df) for s, df in spellings if df >= min_df])
    return variants


def _syllable_df(spellings: list[tuple[str, int]], key) -> int | None:
    return next((df for s, df in spellings if s == key), None)


def _compound_df(min_df: int):
    def documents(spellings: list[tuple[str, int]], key) -> int | None:
        kept = [df for _, df in spellings if df >= min_df]
        return sum(kept) if kept and _shared([((), df) for df in kept]) else None
    return documents


class _Lookup(Mapping):
    """A read-only mapping computed from a spellings table, a key at a time (keys of compounds are
    tuples of syllables; with `exact`, keys are spellings, looked up under their folded form)."""

    def __init__(self, spellings: _Spellings, value, compound: bool = False, exact: bool = False):
        self._spellings, self._value, self._compound, self._exact = spellings, value, compound, exact
        self._get = functools.lru_cache(maxsize=8192)(self._lookup)

    def _lookup(self, key):
        folded = fold_accents(key) if self._exact else (" ".join(key) if self._compound else key)
        found = self._spellings.get(folded)
        return None if found is None else self._value(found, key)

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

    def __iter__(self):
        for folded in self._spellings.keys():
            if self._exact:
                for spelling, _ in self._spellings.get(folded):
                    yield spelling
            else:
                key = tuple(folded.split(" ")) if self._compound else folded
                if key in self:
                    yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _shared(variants: list) -> Variants | None:
    """The MAX_VARIANTS most used spellings with their share of documents (MIN_SHARE at least)."""
    total = sum(df for _, df in variants)
    if not total:
        return None
    ranked = sorted(variants, key=lambda v: -v[1])[:MAX_VARIANTS]
    kept = [(spelling, df / total) for spelling, df in ranked if df / total >= MIN_SHARE]
    return kept or None


def _shares(table: dict) -> dict:
    out = {}
    for key, variants in table.items():
        total = sum(df for _, df in variants)
        ranked = sorted(variants, key=lambda v: -v[1])[:MAX_VARIANTS]
        kept = [(spelling, df / total) for spelling, df in ranked if df / total >= MIN_SHARE]
        if kept:
            out[key] = kept
    return out

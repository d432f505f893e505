"""Abbreviations and variants (TP.HCM = TPHCM = Sài Gòn, UBND = Ủy ban nhân dân, …), expanded
at query time from the package's data file. Variants are matched on accent-folded syllables,
so "sai gon" and "ubnd" expand as well as "Sài Gòn" and "UBND"."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from .analysis import SYLLABLE
from .text import fold_accents, normalize



def variant_syllables(variant: str) -> tuple[str, ...]:
    return tuple(SYLLABLE.findall(normalize(variant)))


@lru_cache(maxsize=1)
def groups() -> list[tuple[tuple[str, ...], ...]]:
    text = resources.files("search").joinpath("data/abbreviations.txt").read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            variants = tuple(dict.fromkeys(v for v in map(variant_syllables, line.split("|")) if v))
            if len(variants) > 1:
                out.append(variants)
    return out


@lru_cache(maxsize=1)
def _by_folded() -> dict[tuple[str, ...], int]:
    return {tuple(fold_accents(s) for s in v): i for i, group in enumerate(groups()) for v in group}


@lru_cache(maxsize=1)
def _longest() -> int:
    return max(len(k) for k in _by_folded())


def find_variants(normalized_syllables: list[str]) -> list[tuple[int, int, tuple[tuple[str, ...], ...]]]:
    """(start, end, group) for each longest run of syllables that is a known variant."""
    folded = [fold_accents(s) for s in normalized_syllables]
    index = _by_folded()
    found, i = [], 0
    while i < len(folded):
        for n in range(min(_longest(), len(folded) - i), 0, -1):
            group = index.get(tuple(folded[i:i + n]))
            if group is not None:
                found.append((i, i + n, groups()[group]))
                i += n
                break
        else:
            i += 1
    return found

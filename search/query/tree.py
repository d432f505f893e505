"""Our query tree: what the planner builds and the engine evaluates (search/engine.py). Frozen
dataclasses, so trees are values: compared, hashed and printed as they read.

    Term(field, text)            an index term: its posting list, BM25F-scored
    Phrase(field, words)         the terms side by side, in order (their scores summed)
    Adjacent(field, words)       a pair side by side, scored by the pair's own idf
    Near(field, words, slop)     the terms in any order, with at most `slop` other syllables
                                 among them (their scores summed)
    And / Or(children)           intersection / union; scores summed
    DisjunctionMax(children)     union; the best child's score
    Not(child)                   what the child does not match; scores nothing
    All() / Nothing()            every document / none

Every node but Not, All and Nothing has a `boost` that multiplies its score.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Node:
    def with_boost(self, boost: float) -> "Node":
        return replace(self, boost=boost)


@dataclass(frozen=True)
class Term(Node):
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase(Node):
    field: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Adjacent(Node):
    """Two folded syllables next to each other, scored as if the pair were one term: its own
    idf, from the documents holding the pair, once per document. Common syllables side by side
    can make a rare pair ("giữ ấm", "mũi ba"), so this rewards articles that use the question's
    wording, not only its syllables."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Near(Node):
    """A proximity query ("bão lũ"~5): one window of the field holds every term (a term asked
    twice, twice), in any order, its first and last syllables at most len(words) - 1 + slop
    apart, i.e. at most `slop` other syllables among them."""

    field: str
    words: tuple[str, ...]
    slop: int
    boost: float = 1.0


@dataclass(frozen=True)
class And(Node):
    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Or(Node):
    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class DisjunctionMax(Node):
    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Not(Node):
    child: Node


@dataclass(frozen=True)
class All(Node):
    pass


@dataclass(frozen=True)
class Nothing(Node):
    pass

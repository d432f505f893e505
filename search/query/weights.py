"""How much each kind of evidence weighs, in one value passed to the planner and the engine
(bench/tune_relevance.py passes others): exact accents and whole compounds above folded
syllables, and BM25F's constants."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weights:
    word: float = 0.1  # bonuses: the syllables of a compound or phrase already score one by one
    phrase: float = 0.1
    exact: float = 1.5
    folded: float = 0.6
    folded_accentless: float = 1.3  # typed without marks: the folded match is the one sure evidence
    title: float = 2.0
    # Spellings restored from the index's vocabulary for accentless words, times their share.
    restored: float = 0.8
    word_restored: float = 1.2
    # Wording: each pair of adjacent query syllables found adjacent in an article (folded, also
    # across words), scored by the pair's own idf (tree.Adjacent). More for an accentless
    # query, where adjacency is what tells "thu tuong" = "thủ tướng" from "thú", "tường".
    pair: float = 1.0
    pair_accentless: float = 1.2
    # Question words ("gì", "bao nhiêu", "ở đâu": data/question_words.txt) in a query with other
    # words: they ask for an answer rather than name a topic, and are rare in answers, so high idf
    # would rank any article that happens to say "bao nhiêu" above the one about the question's subject.
    question: float = 0.3
    # BM25F (with Robertson's idf, ranking.robertson_idf): term-frequency saturation, length normalisation.
    k1: float = 1.2
    b: float = 0.75


DEFAULT_WEIGHTS = Weights()

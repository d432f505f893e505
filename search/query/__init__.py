"""Queries: the query language parsed into word units (parser), our own query tree (tree), the
planner that turns a parsed query into a matching tree and a ranking tree (planner), and the
weights of the evidence it ranks by (weights). The engine (search/engine.py) evaluates trees."""
from .parser import QUERY_TOKENS, ParsedQuery, Unit, parse, question_share
from .planner import matching_mode, matching_tree, ranking_tree, readings, sequence_queries, typed_term, unit_query
from .tree import Adjacent, All, And, DisjunctionMax, Near, Node, Not, Nothing, Or, Phrase, Term
from .weights import DEFAULT_WEIGHTS, Weights

__all__ = [
    "QUERY_TOKENS", "ParsedQuery", "Unit", "parse", "question_share",
    "matching_mode", "matching_tree", "ranking_tree", "readings", "sequence_queries", "typed_term", "unit_query",
    "Adjacent", "All", "And", "DisjunctionMax", "Near", "Node", "Not", "Nothing", "Or", "Phrase", "Term",
    "DEFAULT_WEIGHTS", "Weights",
]

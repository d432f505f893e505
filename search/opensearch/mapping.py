"""What an OpenSearch index of vnsearch holds: its settings (our BM25 constants as the fields'
similarity) and mapping, and the names of the alias, the indexes and their fields.

Per text field (`title`, `text`) four analysed fields, all with the `whitespace` analyzer over
tokens vnsearch made (search/opensearch/documents.py):

    <f>_exact    each syllable as written, normalised ("bão"), one token per syllable
    <f>_folded   each syllable accent-folded ("bao"), at the same positions
    <f>_words    per syllable the pyvi compound it starts ("thông_tin") or a filler token, so the
                 field's length is its syllable count, as every field's is in the embedded engine
    <f>_pairs    each pair of adjacent folded syllables ("bao_lu"), documents only: scored by
                 the pair's own idf (tree.Adjacent), through a BM25 with k1 = 0

The alias (`vnsearch`, or the URL's path) points at one index `<alias>-<stamp>`; its companion
`<alias>-<stamp>-meta` holds the vocabulary's document frequencies and the last report.
"""
from __future__ import annotations

from ..articles import FACET_FIELDS, MULTI_VALUED
from ..query.weights import DEFAULT_WEIGHTS, Weights

DEFAULT_ALIAS = "vnsearch"
META_SUFFIX = "-meta"
TEXT_FIELDS = ("title", "text")
KINDS = ("exact", "folded", "words", "pairs")
WORD_FILLER = "·"  # a place in <f>_words where no compound starts (never a syllable: not a letter)
PAIR_JOINER = "_"
MAX_RESULT_WINDOW = 10_000 * 100 + 100  # requests.MAX_PAGE × MAX_SIZE: every page the API allows


def field_name(field: str, kind: str) -> str:
    return f"{field}_{kind}"


def key_field(facet: str) -> str:
    """The keyword field a facet is filtered on: filter_key of each value (facets.filter_key)."""
    return f"{facet}_key"


def main_field(facet: str) -> str:
    """A multi-valued facet's main value (the first of its list): what stats ranks."""
    return f"{facet}_main"


def meta_index(index: str) -> str:
    return index + META_SUFFIX


def index_settings(weights: Weights = DEFAULT_WEIGHTS, shards: int = 1, replicas: int = 0) -> dict:
    similarity = {"vnsearch_bm25": {"type": "BM25", "k1": weights.k1, "b": weights.b},
                  "vnsearch_pairs": {"type": "BM25", "k1": 0.0, "b": 0.0}}
    analysed = {}
    for field in TEXT_FIELDS:
        for kind in ("exact", "folded"):
            analysed[field_name(field, kind)] = {"type": "text", "analyzer": "whitespace",
                                                 "similarity": "vnsearch_bm25", "index_options": "positions"}
        analysed[field_name(field, "words")] = {"type": "text", "analyzer": "whitespace",
                                                "similarity": "vnsearch_bm25", "index_options": "freqs"}
        analysed[field_name(field, "pairs")] = {"type": "text", "analyzer": "whitespace", "norms": False,
                                                "similarity": "vnsearch_pairs", "index_options": "docs"}
    facets = {"author": {"type": "keyword"}}  # stats: how many articles name their author
    for name in FACET_FIELDS:
        facets[name] = {"type": "keyword"}
        facets[key_field(name)] = {"type": "keyword"}
        if name in MULTI_VALUED:
            facets[main_field(name)] = {"type": "keyword"}
    return {
        "settings": {
            "index": {"number_of_shards": shards, "number_of_replicas": replicas,
                      "max_result_window": MAX_RESULT_WINDOW, "similarity": similarity},
        },
        "mappings": {
            "dynamic": "strict",
            "_source": {"excludes": [field_name(f, k) for f in TEXT_FIELDS for k in KINDS]},
            "properties": {
                "id": {"type": "keyword"},
                "seq": {"type": "long"},  # the order articles were indexed in: ties break by it
                "title": {"type": "text", "index": False},
                "text": {"type": "text", "index": False},
                "meta": {"type": "object", "enabled": False},
                "datekey": {"type": "keyword"},  # `published` as stated: sorted as the embedded index sorts it
                "day": {"type": "date", "format": "yyyy-MM-dd"},  # a valid published day: range, timeline
                "year_number": {"type": "integer"},  # year ranges (year:2019..2021)
                "origin": {"type": "keyword"},
                "fingerprint": {"type": "keyword", "index": False},
                "content": {"type": "keyword"},
                **facets,
                **analysed,
            },
        },
    }


def meta_settings(replicas: int = 0) -> dict:
    return {"settings": {"index": {"number_of_shards": 1, "number_of_replicas": replicas}},
            "mappings": {"dynamic": False, "properties": {"kind": {"type": "keyword"}}}}

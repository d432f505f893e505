"""The second backend: the same SearchIndex API over an OpenSearch cluster (README, "When one
machine is not enough"). vnsearch's own analysis runs here and sends its terms as
whitespace-separated tokens; OpenSearch stores, matches, scores (BM25 with our k1 and b),
filters and counts; snippets come from our highlighter over the stored text.

    mapping     index settings and mapping, field names, the alias and index names (both paths)
    connection  the client of a URL, its errors as one Vietnamese line (both paths)
    compile     our query tree (search/query/tree.py) and filters → OpenSearch's query DSL
    searcher    OpenSearchIndex: SearchIndex's API (read path)
    documents   an article → its OpenSearch document, analysed by search/analysis.py (write path)
    build       rebuild (a new index, then one `_aliases` call) and update (write path)
"""
from __future__ import annotations


def open_opensearch(url: str, **options):
    """An OpenSearchIndex of the cluster at `url` (its path, if any, names the alias)."""
    from .searcher import OpenSearchIndex

    return OpenSearchIndex(url, **options)

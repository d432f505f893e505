"""vnsearch: full-text search for Vietnamese news articles.

    from search import rebuild, update, open_index
    from search.requests import SearchRequest

    rebuild("index_data/articles", "index_data/index")       # -> RebuildSummary
    index = open_index("index_data/index")                   # -> SearchIndex
    result = index.search(SearchRequest(q="đại hội", filters={"province": ["Bắc Ninh"]}))
    result.total, result.hits[0].snippet_html, result.to_dict()
    index.get("001_4a7d02fcda62732a.txt")                    # -> Article

Importing a module of the package loads only what it needs: the read path (`open_index`)
never loads the write path (ingest, the postings writer), which `rebuild` and `update` load on
first use.
"""
from __future__ import annotations

_LAZY = {"rebuild": "build", "update": "build", "SearchIndex": "searcher"}


def open_index(index_dir=None, opensearch: str | None = None, **options):
    """A SearchIndex of the index container `index_dir`, or, given `opensearch` (a cluster's URL,
    also accepted as an http(s) `index_dir`), an OpenSearchIndex with the same API (options:
    SearchIndex's, e.g. weights)."""
    if opensearch is None and isinstance(index_dir, str) and index_dir.startswith(("http://", "https://")):
        opensearch = index_dir  # a cluster's URL where a folder would be
    if opensearch:
        from .opensearch import open_opensearch

        return open_opensearch(opensearch, **options)
    from .searcher import SearchIndex

    return SearchIndex(index_dir, **options)


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'search' has no attribute {name!r}")


__all__ = ["rebuild", "update", "open_index", "SearchIndex"]

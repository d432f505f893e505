"""vnsearch: full-text search for Vietnamese news articles.

    from search import rebuild, update, open_index
    from search.results import SearchRequest

    rebuild("index_data/articles", "index_data/index")       # -> RebuildSummary
    index = open_index("index_data/index")                   # -> SearchIndex
    result = index.search(SearchRequest(q="đại hội", filters={"province": ["Bắc Ninh"]}))
    result.total, result.hits[0].snippet_html, result.to_dict()
    index.get("001_4a7d02fcda62732a.txt")                    # -> Article
"""
from .index import rebuild, update
from .searcher import SearchIndex


def open_index(index_dir) -> SearchIndex:
    return SearchIndex(index_dir)


__all__ = ["rebuild", "update", "open_index", "SearchIndex"]

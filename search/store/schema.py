"""The Whoosh schema of a generation and the stored-article codec: how an Article becomes a
document (stored fields, facet columns) and comes back."""
from __future__ import annotations

import zlib

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.system import pack_uint

from ..analysis import VietnameseAnalyzer, term_counts
from ..articles import FACET_FIELDS, METADATA_FIELDS, MULTI_VALUED, Article

# Missing values are stored as "" in the facet columns and shown as "Không rõ". The province facets'
# columns hold the whole list, joined by LIST_SEPARATOR (main first); the searcher splits it.
META_FIELDS = METADATA_FIELDS  # stored together, as one dict, in `meta`
LIST_SEPARATOR = "|"
BULK_FIELDS = ("title", "text")  # written by store.postings.BulkWriter


class VietnameseText(TEXT):
    """A TEXT field indexed through `analysis.term_counts`; its value may also be the term
    counts made ahead (a dict, as a worker process's PreAnalyzed holds them). BulkWriter writes
    those without this method (store/postings.py)."""

    def index(self, value, **kwargs):
        counts = value if isinstance(value, dict) else term_counts(value)
        boost = self.format.field_boost
        for term, frequency in counts.items():
            yield term.encode("utf-8"), frequency, frequency * boost, pack_uint(frequency)


# Whoosh pickles the schema into each generation's table of contents by class path; this one
# keeps the path it had before the store existed, so a generation's files stay byte for byte
# those of earlier versions (search/index.py re-exports it for the unpickler).
VietnameseText.__module__ = "search.index"


def make_schema() -> Schema:
    analyzer = VietnameseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        # Frequencies only: phrases are checked on the forward file (store/forward.py).
        title=VietnameseText(analyzer=analyzer, stored=True, phrase=False),
        text=VietnameseText(analyzer=analyzer, stored=True, phrase=False),
        meta=STORED(),
        datekey=ID(sortable=True),
        origin=ID(stored=True),  # source file, for update
        fingerprint=ID(stored=True),  # file size and mtime, for update
        content=ID(stored=True),  # content_key, for de-duplication
        fwd=COLUMN(NumericColumn("Q")),  # where the article starts in the forward file (in 4-byte units)
        fwd_title=COLUMN(NumericColumn("I")),  # its title's syllable count
        fwd_text=COLUMN(NumericColumn("I")),  # its text's
        **{name: ID(sortable=True) for name in FACET_FIELDS},
    )


# A text this long is stored as zlib-compressed UTF-8, compressed a slice at a time: pickled
# whole, Whoosh would hold it twice more (UTF-8 and pickle buffer) before compressing it.
COMPRESSED_TEXT_CHARS = 1 << 18
_STORE_SLICE_CHARS = 1 << 16


def stored_text(text: str) -> str | bytes:
    if len(text) < COMPRESSED_TEXT_CHARS:
        return text
    compressor = zlib.compressobj(3)
    parts = [compressor.compress(text[i:i + _STORE_SLICE_CHARS].encode("utf-8", "surrogatepass"))
             for i in range(0, len(text), _STORE_SLICE_CHARS)]
    parts.append(compressor.flush())
    return b"".join(parts)


def text_from_stored(value: str | bytes) -> str:
    return value if isinstance(value, str) else zlib.decompress(value).decode("utf-8", "surrogatepass")


def article_document(article: Article, origin: str, fingerprint: str, key: str, own_title: bool) -> dict:
    """The Whoosh document of an article; `own_title` False when its title was derived from its
    text (shown, not indexed: it would count the text's first words twice, at title weight)."""
    doc = {
        "id": article.id, "title": article.title if own_title else "", "text": article.text,
        "_stored_title": article.title, "_stored_text": stored_text(article.text),
        "meta": {name: getattr(article, name) for name in META_FIELDS},
        "datekey": article.published or "",
        "origin": origin, "fingerprint": fingerprint, "content": key,
    }
    for name in FACET_FIELDS:
        if name in MULTI_VALUED:
            doc[name] = LIST_SEPARATOR.join(getattr(article, MULTI_VALUED[name]))
            continue
        value = getattr(article, name)
        doc[name] = "" if value is None else str(value)
    return doc


def article_from_stored(stored: dict) -> Article:
    return Article(id=stored["id"], title=stored["title"], text=text_from_stored(stored["text"]), **stored["meta"])

"""Article fields (articles.Article; their list: articles.METADATA_FIELDS) from raw pasted text, JSON records and HTML pages.

Each entry point returns a dict with exactly the keys of ``FIELDS``; unknown values
are None, never guessed. The pipeline is the same for all three inputs:

    lines → boilerplate removed, title found (cleaning)
          → publication date from the top lines (dates)
          → byline and dateline source (bylines)
          → provinces from outlet, title and text (provinces), main first → provinces_2025
          → category and source codes as Vietnamese labels (labels)
"""
from __future__ import annotations

import re
import unicodedata

from .. import labels
from ..articles import METADATA_FIELDS
from . import bylines, cleaning, dates, provinces
from .html import extract_html
from .provinces import canonical_province, province_2025_of

FIELDS = ("title", "text", *METADATA_FIELDS)



def __getattr__(name: str):
    """PROVINCES_63 and PROVINCES_34, from the gazetteer, built on first use (not at import)."""
    if name == "PROVINCES_63":
        return provinces.provinces_63()
    if name == "PROVINCES_34":
        return provinces.provinces_34()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FIELDS", "PROVINCES_63", "PROVINCES_34", "article_fields_from_text", "article_fields_from_record",
    "article_fields_from_html", "canonical_province", "province_2025_of", "provinces_2025_of",
]

MAX_FIELD_CHARS = 500
_SPACES = re.compile(r"\s+")


def _empty() -> dict:
    fields = dict.fromkeys(FIELDS)
    fields["provinces"], fields["provinces_2025"] = [], []
    return fields


def provinces_2025_of(provinces: list[str]) -> list[str]:
    """The 34-unit list of a 63-unit list: same order, merged units once."""
    return list(dict.fromkeys(p for p in map(province_2025_of, provinces) if p))


def _short_text(value: object, limit: int = MAX_FIELD_CHARS) -> str | None:
    """A clean one-line string from a record value; non-strings and blanks → None."""
    if isinstance(value, (list, tuple)):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    value = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    return value[:limit] or None


def _finish(fields: dict, body: list[str]) -> dict:
    """Byline, dateline source, province, year and labels: the steps every input shares."""
    fields["category"] = labels.label("category", fields["category"])
    fields["source"] = labels.label("source", fields["source"])
    body, author = bylines.split_byline(body)
    fields["author"] = fields["author"] or author
    if body and not fields["source"]:
        fields["source"] = bylines.dateline_source(body[0])
    text = "\n".join(body)
    outlet = provinces.outlet_province(fields["source"], fields["url"])
    if body and not outlet:
        outlet = provinces.outlet_province(bylines.dateline_source(body[0]))
    # The main province stays the given or clearly dominant one, first in the list; without one
    # the list is empty too (articles.Article: `provinces` is `[province]` or longer).
    fields["province"], named = provinces.infer_places(fields["title"], text, outlet, given=fields["province"])
    fields["provinces"] = (list(dict.fromkeys([fields["province"]] + fields["provinces"] + named))
                           if fields["province"] else [])
    fields["province_2025"] = province_2025_of(fields["province"])
    fields["provinces_2025"] = provinces_2025_of(fields["provinces"])
    fields["year"] = dates.year_of(fields["published"])
    fields["text"] = text
    return fields


def article_fields_from_text(raw: str) -> dict:
    """Fields of an article pasted from a web page (already decoded, NFC)."""
    fields = _empty()
    if not isinstance(raw, str) or not raw or raw.isspace():
        fields["text"] = ""
        return fields
    title, body, top = cleaning.clean_text(raw)
    fields["title"] = title
    fields["published"] = dates.publication_date(top)
    if not body and title:  # one paragraph, or a headline and nothing else: it is the text too
        body = [title]
    return _finish(fields, body)


def article_fields_from_record(record: dict) -> dict:
    """Fields of a JSON article object: given values normalised, missing ones inferred."""
    fields = _empty()
    if not isinstance(record, dict):
        fields["text"] = ""
        return fields
    fields["title"] = _short_text(record.get("title"), 1000)
    fields["url"] = _short_text(record.get("url"), 2000)
    fields["category"] = _short_text(record.get("category"))
    fields["source"] = _short_text(record.get("source"))
    fields["author"] = _short_text(record.get("author"))
    for key in ("published", "date", "published_at", "datetime"):
        fields["published"] = dates.normalize_date_value(record.get(key))
        if fields["published"]:
            break
    given_province = record.get("province")
    fields["province"] = canonical_province(given_province) if isinstance(given_province, str) else None
    given_list = record.get("provinces")
    if isinstance(given_list, list):
        named = [canonical_province(p) for p in given_list if isinstance(p, str)]
        fields["provinces"] = list(dict.fromkeys(p for p in [fields["province"], *named] if p))
        fields["province"] = fields["province"] or (fields["provinces"][0] if fields["provinces"] else None)

    text = record.get("text")
    text = unicodedata.normalize("NFC", text) if isinstance(text, str) else ""
    # A record without a title keeps all its text: no line is promoted to a title (a passage or
    # a one-paragraph item would lose its body); a display title is derived later, not indexed.
    body = cleaning.clean_record_text(text, fields["title"])
    if not fields["published"]:
        # Records are dated conservatively: only a line that is nothing but a date, at the top.
        fields["published"] = dates.publication_date(cleaning.split_lines(text[:2000])[:3], allow_lead=False)
    return _finish(fields, body)


def article_fields_from_html(html: str, url: str | None = None) -> dict:
    """Fields of an HTML page, through trafilatura's main-text and metadata extraction."""
    fields = _empty()
    extract = extract_html(html, url if isinstance(url, str) else None)
    fields["url"] = extract.url
    fields["category"] = _short_text(extract.category)
    fields["author"] = _short_text(extract.author)
    fields["published"] = extract.published
    lines = cleaning.split_lines(extract.text)
    title = _short_text(extract.title, 1000)
    if title:
        body = cleaning.strip_boilerplate(lines, title)
    else:
        title, body, _ = cleaning.clean_text(extract.text)
    fields["title"] = title
    source_from_host = bylines.source_from_url(fields["url"])
    fields["source"] = _short_text(extract.sitename) or source_from_host
    return _finish(fields, body)

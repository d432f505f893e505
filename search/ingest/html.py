"""HTML pages: main text and metadata through trafilatura (and htmldate for the date)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import normalize_date_value

# Meta tags that state a publication time with its clock and zone, tried before htmldate's day.
_PUBLISHED_META = re.compile(
    r"<meta\b[^>]*?(?:property|name|itemprop)\s*=\s*[\"'](?:article:published_time|og:published_time|"
    r"datePublished|pubdate|publishdate|date|dc\.date\.issued|dc\.date)[\"'][^>]*>",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"content\s*=\s*[\"']([^\"']{4,60})[\"']", re.IGNORECASE)
_SECTION_META = re.compile(
    r"<meta\b[^>]*?(?:property|name)\s*=\s*[\"'](?:article:section|section|category)[\"'][^>]*>", re.IGNORECASE
)
# trafilatura is given at most this much HTML; bigger pages are cut, never parsed whole.
MAX_HTML_CHARS = 5_000_000


@dataclass
class HtmlExtract:
    title: str | None = None
    text: str = ""
    published: str | None = None
    sitename: str | None = None
    author: str | None = None
    url: str | None = None
    category: str | None = None


def _meta_value(html: str, pattern: re.Pattern) -> str | None:
    for tag in pattern.finditer(html[:200_000]):
        content = _CONTENT.search(tag.group(0))
        if content:
            return content.group(1).strip()
    return None


def _published(html: str, url: str | None, extracted_date: str | None) -> str | None:
    stated = normalize_date_value(_meta_value(html, _PUBLISHED_META))
    if stated:
        return stated
    if extracted_date:
        return normalize_date_value(extracted_date)
    try:
        from htmldate import find_date

        return normalize_date_value(find_date(html, url=url, extensive_search=False))
    except Exception:  # htmldate is best effort; no date beats a crash
        return None


def extract_html(html: str, url: str | None = None) -> HtmlExtract:
    """Main text and metadata of an HTML page; an empty extract when nothing can be read."""
    if not isinstance(html, str) or not html.strip():
        return HtmlExtract(url=url)
    html = html[:MAX_HTML_CHARS]
    try:
        import trafilatura

        document = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True,
            favor_precision=True,
        )
        document = document.as_dict() if hasattr(document, "as_dict") else (document or {})
    except Exception:  # malformed markup must not stop an ingest
        document = {}
    document = document or {}
    categories = document.get("categories") or []
    if isinstance(categories, str):
        categories = [c for c in categories.split(";") if c.strip()]
    category = _meta_value(html, _SECTION_META) or (categories[0].strip() if categories else None)
    return HtmlExtract(
        title=(document.get("title") or None),
        text=document.get("text") or document.get("raw_text") or "",
        published=_published(html, url, document.get("date")),
        sitename=document.get("sitename") or None,
        author=document.get("author") or None,
        url=url or document.get("url") or None,
        category=category,
    )

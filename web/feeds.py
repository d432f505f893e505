"""Every search as an Atom 1.0 feed (SPEC §5, §7: `GET /search.atom`), built with ElementTree.

Entry ids come from the article id, so they stay the same across rebuilds; the feed id comes
from the search's normalised parameters, so the same search is the same feed however its URL
is spelled. Undated articles stay in the feed (they are in the search), last, with the feed's
own `updated` time and no `published`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

from search.labels import filter_value
from search.facets import filter_key
from search.requests import SearchRequest
from search.results import FACET_TITLES, SearchResult

from .params import STATE_KEYS, Pairs, without

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50  # the latest articles of the search
TAG = "tag:vnsearch,2026"
VIETNAM_OFFSET = "+07:00"  # a date or local time without an offset is Vietnam's
FEED_IGNORED = ("page", "size", "sort")  # a feed is always the newest FEED_SIZE


def feed_request(request: SearchRequest) -> SearchRequest:
    """The search a feed shows: the same selection, newest first, its first FEED_SIZE."""
    return replace(request, sort="newest", page=1, size=FEED_SIZE)


def feed_id(pairs: Pairs) -> str:
    """`tag:` URI of the search: parameters in their usual order, values NFC and trimmed, filter
    values as they match (case, marks and codes aside) and sorted within a facet (OR is unordered)."""
    normal = []
    for name, value in without(pairs, *FEED_IGNORED):
        value = " ".join(unicodedata.normalize("NFC", value).split())
        if name in FACET_TITLES:
            value = filter_key(filter_value(name, value))
        normal.append((name, value))
    normal = sorted(dict.fromkeys(normal), key=lambda pair: (
        STATE_KEYS.index(pair[0]) if pair[0] in STATE_KEYS else len(STATE_KEYS),
        pair[1] if pair[0] in FACET_TITLES else ""))
    return f"{TAG}:search:?{urlencode(normal)}" if normal else f"{TAG}:search:"


def entry_id(article_id: str) -> str:
    return f"{TAG}:article:{quote(article_id, safe='')}"


def atom_time(published: str | None) -> str | None:
    """An article's `published` ("2020-05-31", "2020-05-31T08:49:00", with or without an offset) as
    an RFC 3339 time, Vietnam's offset when none is given; None when undated or unreadable."""
    if not published:
        return None
    text = published.strip()
    if len(text) == 10:
        text += "T00:00:00"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = datetime.fromisoformat(moment.isoformat() + VIETNAM_OFFSET)
    return moment.isoformat(timespec="seconds")


def atom_feed(result: SearchResult, *, feed_id: str, self_url: str, page_url: str,
              article_url, now: datetime | None = None) -> bytes:
    """The feed document, UTF-8. `article_url(id)` gives an article page's absolute URL."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "vi"})
    times = [t for t in (atom_time(h.published) for h in result.hits) if t]
    # The newest article's time, so a reader sees the feed change only when the news does.
    updated = max(times, key=datetime.fromisoformat) if times else (
        (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"))
    _text(feed, "id", feed_id)
    _text(feed, "title", f"vnsearch: {result.query}" if result.query.strip() else "vnsearch: mọi bài viết")
    _text(feed, "subtitle", _subtitle(result))
    _text(feed, "updated", updated)
    _element(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _element(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "vnsearch")
    _text(feed, "generator", "vnsearch")
    for hit in result.hits:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", entry_id(hit.id))
        _text(entry, "title", hit.title, type="text")
        _element(entry, "link", rel="alternate", type="text/html", href=article_url(hit.id))
        published = atom_time(hit.published)
        if published:
            _text(entry, "published", published)
        _text(entry, "updated", published or updated)
        if hit.author:
            _text(ET.SubElement(entry, f"{{{ATOM}}}author"), "name", hit.author)
        for province in hit.provinces:
            _element(entry, "category", term=province, scheme=f"{TAG}:province",
                          label=province)
        if hit.category:
            _element(entry, "category", term=hit.category, scheme=f"{TAG}:category",
                          label=hit.category)
        # The snippet is HTML (<mark> around matches, the rest escaped); the serializer escapes it
        # once more, as type="html" content must be.
        _text(entry, "content", hit.snippet_html, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _subtitle(result: SearchResult) -> str:
    parts = [f"{FACET_TITLES[name]}: {', '.join(map(str, values))}"
             for name, values in result.echoed_filters().items() if name in FACET_TITLES]
    dates = " – ".join(d for d in (result.date_from, result.date_to) if d)
    if dates:
        parts.append(f"Thời gian: {dates}")
    shown = "; ".join(parts)
    return f"{FEED_SIZE} bài viết mới nhất của tìm kiếm" + (f" ({shown})" if shown else "")


def _text(parent: ET.Element, tag: str, text: str, **attributes) -> ET.Element:
    element = _element(parent, tag, **attributes)
    element.text = xml_safe(text)
    return element


def _element(parent: ET.Element, tag: str, **attributes) -> ET.Element:
    return ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_safe(v) for k, v in attributes.items()})


def xml_safe(text: str) -> str:
    """Without the characters XML 1.0 cannot hold (control characters a query or an article may
    carry): ElementTree writes them as they are, and the document would not parse."""
    return _NOT_XML.sub("", text)


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

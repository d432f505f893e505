"""HTTP query strings ↔ SearchRequest, and the search URLs the page links to.

The URL holds the whole state of a search (query, filters, dates, sort, size, page), so a
link can be shared; every link on the page is that state with one thing changed.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import url_for
from werkzeug.datastructures import MultiDict

from search.articles import FACET_FIELDS
from search.errors import BadRequest, shown
from search.labels import filter_value
from search.requests import DEFAULT_SIZE, SearchRequest
from search.facets import filter_key

# The parameters of a search, in the order they appear in URLs.
STATE_KEYS = ("q", *FACET_FIELDS, "from", "to", "group", "accents", "collapse", "sort", "size", "page")
# Parameters that survive "Xóa bộ lọc" (clear all filters).
UNFILTERED_KEYS = ("q", "accents", "sort", "size")
EXPORT_FORMATS = ("csv", "jsonl")
COLLAPSE_VALUES = {"true": True, "false": False}  # collapse=: groups of republished copies listed once, or all
INTEGER = re.compile(r"[+-]?[0-9]+")

Pairs = list[tuple[str, str]]


def _integer(args: MultiDict, name: str, default: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        if not INTEGER.fullmatch(raw):  # int() also takes "1_0" and "٣"
            raise ValueError(raw)
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} phải là số nguyên, không phải {shown(raw)}") from None


def _values(args: MultiDict, name: str) -> list[str]:
    return [v for v in args.getlist(name) if v.strip()]


def search_request(args: MultiDict) -> SearchRequest:
    """Convert the HTTP strings only; the library validates ranges, sorts, years and dates."""
    filters = {name: values for name in FACET_FIELDS if (values := _values(args, name))}
    return SearchRequest(
        q=args.get("q", ""),
        filters=filters,
        date_from=args.get("from", "").strip() or None,
        date_to=args.get("to", "").strip() or None,
        sort=args.get("sort", "").strip() or "relevance",
        page=_integer(args, "page", 1),
        size=_integer(args, "size", DEFAULT_SIZE),
        accents=args.get("accents", "").strip() or "exact",
        collapse=_collapse(args),
        group=args.get("group", "").strip() or None,
    )


def _collapse(args: MultiDict) -> bool:
    raw = args.get("collapse", "").strip().lower() or "true"
    if raw not in COLLAPSE_VALUES:
        raise BadRequest(f"collapse phải là true hoặc false, không phải {shown(raw)}")
    return COLLAPSE_VALUES[raw]


def export_format(args: MultiDict) -> str:
    fmt = args.get("format", "").strip().lower() or "csv"  # empty, like every parameter: absent
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"format phải là csv hoặc jsonl, không phải {shown(fmt)}")
    return fmt


def state_pairs(args: MultiDict) -> Pairs:
    """The non-empty search parameters of a request, in a stable order."""
    return [(key, value) for key in STATE_KEYS for value in _values(args, key)]


def toggled(pairs: Pairs, name: str, value: str) -> Pairs:
    """The state with one filter value added, or removed when present (as its label or its
    code: "Dân trí" removes `source=dantri`); back to page 1."""
    key = filter_key(filter_value(name, str(value)))
    kept = [(k, v) for k, v in pairs if not (k == name and filter_key(filter_value(name, v)) == key)]
    if len(kept) == len(pairs):
        kept.append((name, str(value)))
    return without(kept, "page")


def without(pairs: Pairs, *names: str) -> Pairs:
    return [(k, v) for k, v in pairs if k not in names]


def only(pairs: Pairs, *names: str) -> Pairs:
    return [(k, v) for k, v in pairs if k in names]


def with_value(pairs: Pairs, name: str, value) -> Pairs:
    """The state with `name` set to one value (page, q, format…), in its usual place."""
    out = without(pairs, name) + [(name, str(value))]
    return sorted(out, key=lambda pair: STATE_KEYS.index(pair[0]) if pair[0] in STATE_KEYS else len(STATE_KEYS))


def link(endpoint: str, pairs: Pairs, **values) -> str:
    base = url_for(endpoint, **values)
    return f"{base}?{urlencode(pairs)}" if pairs else base

"""Schemathesis hooks for tests/test_openapi_conformance.py (loaded through SCHEMATHESIS_HOOKS).

One rule of the API no schema can state: `from` after `to` answers 400 (README, HTTP). Cases
with both dates valid and `from` later are left out instead of being read as valid data."""
from __future__ import annotations

from datetime import date

import schemathesis

from search.requests import ISO_DATE


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and ISO_DATE.fullmatch(value) else None
    except ValueError:
        return None


def reversed_dates(query: dict | None) -> bool:
    start, end = _day((query or {}).get("from")), _day((query or {}).get("to"))
    return start is not None and end is not None and start > end


@schemathesis.hook
def filter_case(context, case) -> bool:
    return not reversed_dates(case.query)

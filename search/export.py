"""Export every result of a query as CSV or JSON Lines, streamed one article at a time.

The one writer behind both `manage.py search --export` and `/api/export`; a row is an article's
fields (`Article.to_dict`) with its group of republished copies (`SearchIndex.export_records`):
every copy is listed, each with the id of its group. The CSV opens in
Excel with Vietnamese intact (a UTF-8 BOM first) and no cell starts a formula (OWASP CSV
injection: a cell starting with =, +, -, @, a tab or a carriage return gets a leading ')."""
from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Iterator

from .articles import OUTPUT_FIELDS, Article

FORMATS = ("csv", "jsonl")
GROUP_FIELDS = ("group", "copies")  # its group of republished copies and the group's articles among the results
CSV_COLUMNS = tuple(n for n in OUTPUT_FIELDS if n != "text") + GROUP_FIELDS + ("text",)  # the long text last
LIST_SEPARATOR = "; "  # a list field in one CSV cell: "Ninh Thuận; Bình Thuận"
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A value as a CSV cell that a spreadsheet shows as text, never runs as a formula; a list
    as its values in one cell."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(map(str, value))
    if not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _row(item: Article | dict) -> dict:
    row = item if isinstance(item, dict) else item.to_dict()
    return {**{name: None for name in GROUP_FIELDS}, **row}


def csv_lines(articles: Iterable[Article | dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield BOM + flush()
    for article in articles:
        row = _row(article)
        writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
        yield flush()


def jsonl_lines(articles: Iterable[Article | dict]) -> Iterator[str]:
    for article in articles:
        yield json.dumps(_row(article), ensure_ascii=False) + "\n"


def export_lines(articles: Iterable[Article | dict], fmt: str) -> Iterator[str]:
    return csv_lines(articles) if fmt == "csv" else jsonl_lines(articles)

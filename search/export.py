"""Export every result of a query as CSV or JSON Lines, streamed one article at a time."""
from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Iterator

from .articles import Article

FORMATS = ("csv", "jsonl")
CSV_COLUMNS = ("id", "title", "published", "year", "province", "province_2025", "provinces",
               "provinces_2025", "category", "source", "author", "url", "text")
LIST_SEPARATOR = "; "  # a list field in one CSV cell: "Ninh Thuận; Bình Thuận"
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def csv_cell(value) -> object:
    if value is None:
        return ""
    return LIST_SEPARATOR.join(value) if isinstance(value, list) else value


def csv_lines(articles: Iterable[Article]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for article in articles:
        row = article.to_dict()
        writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
        yield flush()


def jsonl_lines(articles: Iterable[Article]) -> Iterator[str]:
    for article in articles:
        yield json.dumps(article.to_dict(), ensure_ascii=False) + "\n"


def export_lines(articles: Iterable[Article], fmt: str) -> Iterator[str]:
    return csv_lines(articles) if fmt == "csv" else jsonl_lines(articles)

"""Article fields from raw pasted text, HTML and JSON records.

PLACEHOLDER: the metadata work (issue 5) replaces this module; the three public
functions and the keys they return are the contract readers rely on.
"""
from __future__ import annotations

FIELDS = ("title", "text", "published", "year", "province", "province_2025",
          "category", "source", "author", "url")


def _empty() -> dict:
    return dict.fromkeys(FIELDS)


def article_fields_from_text(raw: str) -> dict:
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    fields = _empty()
    if lines:
        fields["title"], fields["text"] = lines[0], "\n".join(lines[1:])
    return fields


def article_fields_from_record(record: dict) -> dict:
    fields = _empty()
    for key in FIELDS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            fields[key] = value.strip()
    fields["published"] = fields["published"] or (record.get("date") or None)
    if fields["published"]:
        fields["year"] = int(fields["published"][:4])
    return fields


def article_fields_from_html(html: str, url: str | None = None) -> dict:
    raise NotImplementedError

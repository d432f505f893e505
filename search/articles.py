"""The Article: what ingest produces, the index stores and queries return."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

FACET_FIELDS = ("province", "province_2025", "year", "category", "source")
UNKNOWN = "Không rõ"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def published_date(published: str | None) -> str | None:
    """The day of a `published` value, `YYYY-MM-DD`, whether it holds a time or not (None when undated)."""
    if not published or not _ISO_DATE.match(published):
        return None
    return published[:10]


@dataclass
class Article:
    id: str
    title: str
    text: str
    published: str | None = None  # ISO date or local datetime
    year: int | None = None
    province: str | None = None  # one of the 63 pre-2025 units, short name
    province_2025: str | None = None  # one of the 34 units since 1 July 2025
    category: str | None = None
    source: str | None = None
    author: str | None = None
    url: str | None = None

    @property
    def published_date(self) -> str | None:
        return published_date(self.published)

    def to_dict(self) -> dict:
        """The article JSON: its fields, with `published_date` beside `published`."""
        doc = {}
        for name, value in asdict(self).items():
            doc[name] = value
            if name == "published":
                doc["published_date"] = self.published_date
        return doc


@dataclass
class Skipped:
    """An input file or line that was not indexed, and why."""

    item: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass
class RebuildSummary:
    indexed: int
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: int = 0
    removed: int = 0
    seconds: float = 0.0
    generation: str = ""

    def line(self) -> str:
        return f"indexed {self.indexed} articles, skipped {len(self.skipped)}, in {self.seconds:.1f} s"

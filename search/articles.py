"""The Article: what ingest produces, the index stores and queries return."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

FACET_FIELDS = ("province", "province_2025", "year", "category", "source")
# Facets whose filter and counts use every value of an article's list (SPEC §5): facet -> list field.
MULTI_VALUED = {"province": "provinces", "province_2025": "provinces_2025"}
UNKNOWN = "Không rõ"


@dataclass
class Article:
    id: str
    title: str
    text: str
    published: str | None = None  # ISO date or local datetime
    year: int | None = None
    province: str | None = None  # one of the 63 pre-2025 units, short name
    province_2025: str | None = None  # one of the 34 units since 1 July 2025
    provinces: list[str] = field(default_factory=list)  # every province it is about, main first
    provinces_2025: list[str] = field(default_factory=list)  # the same among the 34
    category: str | None = None
    source: str | None = None
    author: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        # The main province is always in its list, first (an index built before lists had none).
        for main, many in (("province", "provinces"), ("province_2025", "provinces_2025")):
            value, values = getattr(self, main), list(getattr(self, many) or [])
            if value and (not values or values[0] != value):
                values = [value] + [v for v in values if v != value]
            setattr(self, many, values)

    def to_dict(self) -> dict:
        return asdict(self)


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

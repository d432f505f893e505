"""The Article: what ingest produces, the index stores and queries return."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields

FACET_FIELDS = ("province", "province_2025", "year", "category", "source")
# Facets whose filter and counts use every value of an article's list (README, How it works: facets): facet -> list field.
MULTI_VALUED = {"province": "provinces", "province_2025": "provinces_2025"}
UNKNOWN = "Không rõ"
# What a reader calls each field of an article (CLI `show` and `stats`).
FIELD_LABELS = {
    "published": "Ngày đăng", "year": "Năm", "province": "Tỉnh/thành",
    "province_2025": "Tỉnh/thành (từ 1/7/2025)", "provinces": "Các tỉnh/thành",
    "provinces_2025": "Các tỉnh/thành (từ 1/7/2025)", "category": "Chuyên mục", "source": "Nguồn",
    "author": "Tác giả", "url": "Liên kết",
}


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
    provinces: list[str] = field(default_factory=list)  # every province it is about, main first
    provinces_2025: list[str] = field(default_factory=list)  # the same among the 34
    category: str | None = None
    source: str | None = None
    author: str | None = None
    url: str | None = None

    @property
    def published_date(self) -> str | None:
        return published_date(self.published)

    def __post_init__(self) -> None:
        # The main province is always in its list, first (an index built before lists had none).
        for main, many in (("province", "provinces"), ("province_2025", "provinces_2025")):
            value, values = getattr(self, main), list(getattr(self, many) or [])
            if value and (not values or values[0] != value):
                values = [value] + [v for v in values if v != value]
            setattr(self, many, values)

    def to_dict(self) -> dict:
        """The article JSON: its fields (OUTPUT_FIELDS), with `published_date` beside `published`."""
        values = asdict(self)
        return {name: values[name] if name in values else getattr(self, name) for name in OUTPUT_FIELDS}


# The one registry of an article's fields, derived from the dataclass: the schema's stored
# metadata, ingest, the JSON, the CSV, the CLI and the OpenAPI description read it.
ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))  # id, title, text, published, …
METADATA_FIELDS = ARTICLE_FIELDS[ARTICLE_FIELDS.index("text") + 1:]  # published … url: what ingest infers
DERIVED_FIELDS = {"published_date": "published"}  # computed from a field, shown right after it
# The article JSON (Article.to_dict, JSON Lines, /api/articles): every field, each derived one after its source.
OUTPUT_FIELDS: tuple[str, ...] = tuple(
    out for name in ARTICLE_FIELDS
    for out in (name, *(d for d, source in DERIVED_FIELDS.items() if source == name)))
assert set(FIELD_LABELS) == set(METADATA_FIELDS), "every metadata field has a label"


@dataclass
class Skipped:
    """An input file or line that was not indexed, and why."""

    item: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


def vn_decimal(value: float, places: int = 1) -> str:
    """12.34 → "12,3" (Vietnamese decimal comma)."""
    return f"{value:.{places}f}".replace(".", ",")


@dataclass
class RebuildSummary:
    """What a rebuild or an update did. `indexed` counts the articles written by this run;
    an update also tells them apart by id: `added` (new ids), `changed` (an id whose content
    changed), `removed` (ids gone), and the files it removed."""

    indexed: int
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    removed_files: int = 0
    seconds: float = 0.0
    generation: str = ""
    warnings: list[str] = field(default_factory=list)  # what a committed update could not write after
    copies: dict = field(default_factory=dict)  # republished copies grouped: groups, articles_in_groups, seconds

    def line(self) -> str:
        """The last line of `manage.py rebuild`."""
        return (f"Đã đánh chỉ mục {self.indexed} bài viết, bỏ qua {len(self.skipped)}, "
                f"trong {vn_decimal(self.seconds)} giây")

    def update_line(self) -> str:
        """The last line of `manage.py update`."""
        return (f"Đã cập nhật chỉ mục: thêm {self.added}, cập nhật {self.changed}, xóa {self.removed} bài viết "
                f"({self.removed_files} tệp đã bị xóa), bỏ qua {len(self.skipped)}, "
                f"trong {vn_decimal(self.seconds)} giây")

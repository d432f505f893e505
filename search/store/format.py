"""The format version of a generation, in its format.json: a reader opens only generations of
its own version; any other (or none) must be rebuilt."""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import IndexOutdated
from .container import FORMAT

# Raise it with any change to what a generation's files hold or mean (docs/ARCHITECTURE.md).
FORMAT_VERSION = 3  # 2: manifest.json (store/manifest.py); 3: arrays (store/arrays.py), sources.json


def write_format(generation: Path) -> None:
    temporary = generation / (FORMAT + ".tmp")
    temporary.write_text(json.dumps({"format": FORMAT_VERSION}) + "\n", encoding="utf-8")
    os.replace(temporary, generation / FORMAT)


def format_of(generation: Path) -> int | None:
    try:
        return json.loads((generation / FORMAT).read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, AttributeError):
        return None


def check_format(generation: Path, index_dir) -> None:
    """IndexOutdated, with advice, unless the generation is of FORMAT_VERSION."""
    found = format_of(generation)
    if found != FORMAT_VERSION:
        written = f"định dạng {found}" if found is not None else "một định dạng cũ"
        raise IndexOutdated(f"Chỉ mục tại {index_dir} được dựng bởi phiên bản khác ({written}, cần định dạng "
                            f"{FORMAT_VERSION}); hãy dựng lại: python manage.py rebuild")

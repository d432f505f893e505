"""Whoosh's files of a generation: creating and opening them."""
from __future__ import annotations

import os
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from ..errors import IndexMissing
from .container import current_generation
from .schema import make_schema

# Whoosh reads a compound segment file through a private in-memory copy per searcher, and we
# keep one searcher per server thread: separate files are memory-mapped and shared instead.
COMPOUND_SEGMENTS = False


def create_whoosh(generation: Path):
    return whoosh_index.create_in(generation, make_schema())


def open_whoosh_at(generation: Path):
    """The Whoosh index of a generation, to update it."""
    return whoosh_index.open_dir(generation)


def open_whoosh(index_dir: str | os.PathLike):
    """(current generation, its Whoosh index), to read it."""
    generation = current_generation(Path(index_dir))
    try:
        # Read with seek and read, not mmap: index pages a query touched stay in the OS cache,
        # not in the server's resident memory.
        return generation, FileStorage(str(generation), supports_mmap=False).open_index()
    except (OSError, whoosh_index.EmptyIndexError):
        raise IndexMissing(f"Chỉ mục tại {index_dir} bị hỏng hoặc chưa hoàn chỉnh; hãy chạy: python manage.py rebuild") from None

"""Ingest: a source folder → Articles (decoded, cleaned, with metadata) and Skipped items."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator

from ..articles import Article, Skipped
from ..text import normalize
from .readers import Pending, read_file, read_pending, source_files


def content_key(article: Article) -> str:
    """Same normalised title and text → same key: a republished article is indexed once."""
    body = " ".join(normalize(article.title).split()) + "\n" + " ".join(normalize(article.text).split())
    return hashlib.sha1(body.encode("utf-8")).hexdigest()


def iter_articles(source_dir: Path, files: list[Path] | None = None) -> Iterator[tuple[Path, Article | Skipped]]:
    """(file, item) for every article or skipped item below `source_dir`."""
    for path in files if files is not None else source_files(source_dir):
        for item in read_file(path, source_dir):
            yield path, item


def iter_pending(source_dir: Path, files: list[Path]) -> Iterator[tuple[Path, Pending | Skipped]]:
    """(file, item) with metadata extraction left to `Pending.finish`, for a parallel rebuild."""
    for path in files:
        for item in read_pending(path, source_dir):
            yield path, item

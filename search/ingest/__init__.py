"""Ingest: a source folder → Articles (decoded, cleaned, with metadata) and Skipped items."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Iterator

from ..articles import Article, Skipped
from ..text import normalize
from .readers import Pending, read_file, read_pending, source_files


KEY_CHUNK_CHARS = 1 << 16  # text normalised and hashed a slice at a time: no full copy of a huge text


def content_key(article: Article) -> str:
    """Same normalised title and text → same key: a republished article is indexed once.

    The SHA-1 of `words(title) + "\n" + words(text)`, where words() is the normalised text's
    words joined by single spaces, computed slice by slice over the text."""
    digest = hashlib.sha1()
    _hash_words(digest, article.title)
    digest.update(b"\n")
    _hash_words(digest, article.text)
    return digest.hexdigest()


_SPACE = re.compile(r"\s")


def _hash_words(digest, text: str) -> None:
    # Slices end just before a whitespace character; normalize (NFC, tones, lower case) never
    # looks across whitespace, so each slice normalises as it would in the whole text.
    separator = b""
    start = 0
    while start < len(text):
        end = start + KEY_CHUNK_CHARS
        if end < len(text):
            space = _SPACE.search(text, end)
            end = space.start() if space else len(text)
        words = normalize(text[start:end]).split()
        if words:
            digest.update(separator + " ".join(words).encode("utf-8"))
            separator = b" "
        start = end


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

"""Read a source folder: files of each format → Article, or Skipped with a reason.

Formats: .txt (raw pasted page), .json (an object or an array), .jsonl and .jsonl.gz
(an object a line), .html/.htm. Every bad file or line becomes one Skipped item; a bad
item never stops the rest.
"""
from __future__ import annotations

import codecs
import gzip
import json
import zlib
from pathlib import Path
from typing import Iterator

from charset_normalizer import from_bytes

from ..articles import Article, Skipped
from ..text import to_nfc
from . import metadata

SUFFIXES = (".txt", ".json", ".jsonl", ".jsonl.gz", ".html", ".htm")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class UnreadableFile(Exception):
    """Raised with a Vietnamese reason when a whole file cannot be read."""


def format_of(path: Path) -> str | None:
    name = path.name.lower()
    return next((s for s in SUFFIXES if name.endswith(s)), None)


def source_files(source_dir: Path) -> list[Path]:
    """Every readable article file below `source_dir`, in a stable order; hidden files skipped."""
    files = [
        p for p in source_dir.rglob("*")
        if p.is_file() and format_of(p) and not any(part.startswith(".") for part in p.relative_to(source_dir).parts)
    ]
    return sorted(files)


def decode(data: bytes) -> str:
    """Bytes → NFC text: BOMs, then strict UTF-8, then charset detection (UTF-16, Windows-1258, …)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return to_nfc(data.decode(encoding))
            except UnicodeDecodeError:
                raise UnreadableFile(f"không giải mã được ({encoding} hỏng)") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise UnreadableFile("tệp nhị phân hoặc không rõ bảng mã") from None
        text = str(best)
    if "\x00" in text:
        raise UnreadableFile("tệp nhị phân (chứa byte NUL)")
    return to_nfc(text)


def _article(article_id: str, fields: dict) -> Article | Skipped:
    if not (fields.get("text") or "").strip():
        return Skipped(article_id, "không có nội dung văn bản")
    if not (fields.get("title") or "").strip():
        fields["title"] = fields["text"].strip().splitlines()[0][:200]
    return Article(id=article_id, **fields)


def _from_record(record, article_id: str) -> Article | Skipped:
    if not isinstance(record, dict):
        return Skipped(article_id, "không phải một đối tượng JSON")
    given_id = record.get("id")
    if isinstance(given_id, (str, int)) and not isinstance(given_id, bool) and str(given_id).strip():
        article_id = str(given_id).strip()
    return _article(article_id, metadata.article_fields_from_record(record))


def _json_lines(lines: Iterator[str], rel: str) -> Iterator[Article | Skipped]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = f"{rel}#L{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield Skipped(item, f"JSON không hợp lệ ({error.msg}, cột {error.colno})")
            continue
        yield _from_record(record, item)


def _gzip_lines(path: Path, rel: str) -> Iterator[str]:
    try:
        with gzip.open(path, "rb") as stream:
            for raw in stream:
                yield to_nfc(raw.decode("utf-8", errors="replace"))
    except (OSError, EOFError, zlib.error) as error:
        raise UnreadableFile(f"tệp gzip hỏng hoặc bị cắt cụt ({error})") from None


def read_file(path: Path, source_dir: Path) -> Iterator[Article | Skipped]:
    """The articles of one file, with a Skipped item for each bad file or line."""
    rel = path.relative_to(source_dir).as_posix()
    kind = format_of(path)
    try:
        if kind == ".jsonl.gz":
            yield from _json_lines(_gzip_lines(path, rel), rel)
            return
        data = path.read_bytes()
        if not data.strip():
            yield Skipped(rel, "tệp rỗng")
            return
        text = decode(data)
        if not text.strip():
            yield Skipped(rel, "tệp chỉ có khoảng trắng")
        elif kind == ".jsonl":
            yield from _json_lines(iter(text.splitlines()), rel)
        elif kind == ".json":
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as error:
                yield Skipped(rel, f"JSON không hợp lệ ({error.msg}, dòng {error.lineno})")
                return
            records = parsed if isinstance(parsed, list) else [parsed]
            for number, record in enumerate(records):
                yield _from_record(record, rel if len(records) == 1 else f"{rel}#{number}")
        elif kind in (".html", ".htm"):
            yield _article(rel, metadata.article_fields_from_html(text))
        else:
            yield _article(rel, metadata.article_fields_from_text(text))
    except UnreadableFile as error:
        yield Skipped(rel, str(error))
    except OSError as error:
        yield Skipped(rel, f"không đọc được tệp ({error.strerror or error})")

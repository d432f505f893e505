"""The manifest of a generation: every file of it with its size and CRC32C checksum, so a
damaged file is said in one line instead of read as wrong answers.

    manifest.json  {"manifest": 1, "toc": <Whoosh TOC generation>, "files": {name: {"size", "crc32c"}},
                    "crc32c": <of the rest>}

`rebuild` writes it last before the pointer flips; `update` rewrites it after its commit (it
changes files in place). Opening checks every size and the checksums of files under SMALL
bytes; `check --full` (`verify(..., full=True)`) checks every checksum. While an update is
between its commit and its new manifest, the Whoosh TOC is newer than the manifest's: files
it replaced may be gone, the forward files may have grown and the files it rewrites after its
commit (arrays, the source manifest, the report) may differ, and only that is allowed.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import crc32c

from ..errors import IndexDamaged
from .container import (ARRAY_PREFIX, ARRAYS, FORWARD, MARKS, REPORT, SOURCES, VOCABULARY, VOCABULARY_PREFIX,
                        current_generation, fsync_dir)
from .format import FORMAT_VERSION, check_format, format_of

MANIFEST = "manifest.json"
SMALL = 1 << 20  # bytes: files below this are checksummed on every open
GROWING = (FORWARD, MARKS)  # appended to by update
REWRITTEN = (ARRAYS, SOURCES, REPORT, VOCABULARY)  # replaced by update between its commit and its manifest
WHOOSH_LOCK = "MAIN_WRITELOCK"
_TOC = re.compile(r"_MAIN_(\d+)\.toc")
_PART_FILE = re.compile(r"(positions-\d+-\d+)\.\w+\.npy")
_CHUNK = 1 << 22
REMEDY = "hãy chạy: python manage.py rebuild"


def damaged(what: str, reason: str) -> IndexDamaged:
    return IndexDamaged(f"Chỉ mục hỏng: {what} ({reason}); {REMEDY}")


def checksum(path: Path, size: int | None = None) -> int:
    """CRC32C of the file, or of its first `size` bytes."""
    value, left = 0, size
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK if left is None else min(_CHUNK, left)):
            value = crc32c.crc32c(chunk, value)
            if left is not None:
                left -= len(chunk)
    return value


def latest_toc(generation: Path) -> int | None:
    found = [int(m.group(1)) for p in generation.iterdir() if (m := _TOC.fullmatch(p.name))]
    return max(found) if found else None


def _listed(name: str) -> bool:
    return not (name == MANIFEST or name == WHOOSH_LOCK or name.startswith(".") or name.endswith(".tmp"))


def _body_checksum(body: dict) -> int:
    return crc32c.crc32c(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def write_manifest(generation: Path) -> None:
    """List every file of the generation as it is now; replaces the manifest atomically."""
    files = {}
    for entry in sorted(generation.iterdir(), key=lambda p: p.name):
        if entry.is_file() and _listed(entry.name):
            files[entry.name] = {"size": entry.stat().st_size, "crc32c": checksum(entry)}
    body = {"toc": latest_toc(generation), "files": files}
    document = {"manifest": 1, **body, "crc32c": _body_checksum(body)}
    temporary = generation / (MANIFEST + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=0)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, generation / MANIFEST)
    fsync_dir(generation)


def read_manifest(generation: Path) -> dict | None:
    """The manifest, None when the generation has none; IndexDamaged when it is unreadable."""
    path = generation / MANIFEST
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
        body = {"toc": document["toc"], "files": document["files"]}
        intact = document["crc32c"] == _body_checksum(body) and all(
            isinstance(v["size"], int) and isinstance(v["crc32c"], int) for v in body["files"].values())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        intact = False
    if not intact:
        raise damaged(MANIFEST, "không đọc được")
    return body


def problems(generation: Path, manifest: dict, full: bool = False) -> list[tuple[str, str]]:
    """(file, reason) of every file that differs from the manifest: sizes always, checksums of
    files under SMALL bytes, or of all with `full`."""
    toc = latest_toc(generation)
    updating = toc is not None and manifest["toc"] is not None and toc > manifest["toc"]
    found = []
    for name, expected in manifest["files"].items():
        path = generation / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            replaced = updating and name.startswith(("MAIN_", "_MAIN_", "positions-", ARRAY_PREFIX,
                                                          VOCABULARY_PREFIX))
            if not (replaced or _without_part(generation, name)):
                found.append((name, "thiếu tệp"))
            continue
        except OSError:
            found.append((name, "không đọc được"))
            continue
        if updating and name in REWRITTEN:
            continue
        # An update appends to these; a tail past what the index references (killed before its commit) is unused.
        if size != expected["size"] and not (name in GROWING and size > expected["size"]):
            found.append((name, "kích thước sai"))
        elif (full or size < SMALL) and not (updating and name in GROWING):
            try:
                if checksum(path, expected["size"]) != expected["crc32c"]:
                    found.append((name, "tổng kiểm tra sai"))
            except OSError:
                found.append((name, "không đọc được"))
    return found


def _without_part(generation: Path, name: str) -> bool:
    """A positions file whose whole part is gone: its range is scanned instead (store/positions.py)."""
    part = _PART_FILE.fullmatch(name)
    return part is not None and not (generation / f"{part.group(1)}.pos.npy").exists()


def verify(generation: Path, index_dir, full: bool = False) -> None:
    """Before a generation is read: IndexOutdated for another format version (or a generation
    from before manifests), IndexDamaged naming the first damaged file."""
    written = format_of(generation)
    if written is not None and written != FORMAT_VERSION:
        check_format(generation, index_dir)
    manifest = read_manifest(generation)
    if manifest is None:
        if written == FORMAT_VERSION:
            raise damaged(MANIFEST, "thiếu tệp")
        check_format(generation, index_dir)  # no manifest, no readable version: from before manifests
    found = problems(generation, manifest, full)
    if found:
        raise damaged(", ".join(f"{name}" for name, _ in found[:3]) + (" …" if len(found) > 3 else ""),
                      "; ".join(sorted({reason for _, reason in found})))
    check_format(generation, index_dir)


def check_index(index_dir, full: bool = False) -> Path:
    """The current generation of a container, verified (every checksum with `full`)."""
    generation = current_generation(Path(index_dir))
    verify(generation, index_dir, full=full)
    return generation

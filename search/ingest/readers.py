"""Read a source folder: files of each format → Article, or Skipped with a reason.

Formats: .txt (raw pasted page), .json (an object or an array), .jsonl and .jsonl.gz
(an object a line), .html/.htm. Every bad file or line becomes one Skipped item; a bad
item never stops the rest.
"""
from __future__ import annotations

import codecs
import gzip
import json
import re
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from charset_normalizer import from_bytes

from ..articles import Article, Skipped
from ..text import to_nfc
from . import metadata
from .cleaning import LINE_BREAK, iter_lines

SUFFIXES = (".txt", ".json", ".jsonl", ".jsonl.gz", ".html", ".htm")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


# A Vietnamese syllable, checked on its tone-less form: initial consonant, then a rhyme
# that ends in a glide (no final consonant) or a vowel nucleus with an optional final.
_INITIAL = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
_GLIDE_RHYMES = ("oai oay oeo uây uôi ươi ươu yêu iêu uya uyu ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui "
                 "ưa ưi ưu").split()
_NUCLEI = "uyê iê yê uô ươ oa oă oe oo uâ uê uy a ă â e ê o ô ơ u ư".split()
_SYLLABLE = re.compile(
    _INITIAL + "(?:" + "|".join(_GLIDE_RHYMES) + "|(?:" + "|".join(_NUCLEI) + ")(?:ch|ng|nh|[cmnpt])?"
    + "|i(?:ch|nh|[mnpt])?|y)"
)
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_WORD = re.compile(r"[^\W\d_]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# Enough text to tell encodings apart, small enough to score several candidates quickly.
SCORE_SAMPLE_CHARS = 20_000
MAX_CANDIDATES = 6
# Below this share of Vietnamese syllables a fallback guess is not trusted over "unreadable".
MIN_FALLBACK_SHARE = 0.5
# JSON and HTML nest at most this deep before Python's recursion limit; deeper is refused.
DEEPLY_NESTED = "lồng nhau quá sâu"
NO_TEXT = "không có tiêu đề và nội dung văn bản"


class UnreadableFile(Exception):
    """Raised with a Vietnamese reason when a whole file cannot be read."""


def _inner_capital(word: str) -> bool:
    """A capital after a small letter, as mojibake makes ("boÌ" for "bò")."""
    first_small = next((i for i, c in enumerate(word) if c.islower()), len(word))
    return any(c.isupper() for c in word[first_small:])


def vietnamese_share(text: str) -> float:
    """Share of the non-ASCII words of `text` that are well-formed Vietnamese syllables (0 when none).
    ASCII words read the same in every candidate encoding, so they do not count."""
    words = [w for w in _WORD.findall(text[:SCORE_SAMPLE_CHARS]) if not w.isascii()]
    if not words:
        return 0.0
    good = 0
    for word in words:
        decomposed = unicodedata.normalize("NFD", word)
        tones = sum(1 for c in decomposed if c in _TONES)
        bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES)).lower()
        if tones <= 1 and _SYLLABLE.fullmatch(bare) and not _inner_capital(word):
            good += 1
    return good / len(words)


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


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM: NUL bytes at every other position (the high byte of Latin letters)."""
    if len(data) % 2 or b"\x00" not in data:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    encoding = "utf-16-be" if even > 0.3 * len(data) / 2 and odd == 0 else (
        "utf-16-le" if odd > 0.3 * len(data) / 2 and even == 0 else None)
    if encoding is None:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _detected(data: bytes) -> str | None:
    """Charset detection, checked for Vietnamese: the detector's candidates and Windows-1258
    are scored by their share of well-formed Vietnamese syllables, because on short text in
    Windows-1258 (tone marks as combining characters) the detector often guesses Big5 or a
    Latin code page. Ties go to Windows-1258, then to the detector's order."""
    guesses = [(match.encoding, str(match)) for match in list(from_bytes(data))[:MAX_CANDIDATES]]
    try:
        guesses.append(("cp1258", data.decode("cp1258")))
    except UnicodeDecodeError:
        pass
    best_text, best_key = None, None
    for rank, (encoding, text) in enumerate(guesses):
        score = vietnamese_share(to_nfc(text))
        if (rank > 0 or encoding == "cp1258") and score < MIN_FALLBACK_SHARE:
            continue  # only the detector's own best guess is taken without Vietnamese evidence
        key = (score, encoding == "cp1258", -rank)
        if best_key is None or key > best_key:
            best_text, best_key = text, key
    return best_text


def decode(data: bytes) -> str:
    """Bytes → NFC text: BOMs, then strict UTF-8, then charset detection (UTF-16, Windows-1258, …)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return to_nfc(data.decode(encoding))
            except UnicodeDecodeError:
                raise UnreadableFile(f"không giải mã được ({encoding} hỏng)") from None
    text = _utf16_without_bom(data)
    if text is not None:
        return to_nfc(text)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _detected(data)
        if text is None:
            raise UnreadableFile("tệp nhị phân hoặc không rõ bảng mã") from None
    if "\x00" in text:
        # UTF-16 text is also valid UTF-8 with NULs in it; binary data is neither.
        guess = _detected(data)
        if guess is not None and vietnamese_share(to_nfc(guess)) >= MIN_FALLBACK_SHARE:
            text = guess
    if "\x00" in text:
        raise UnreadableFile("tệp nhị phân (chứa byte NUL)")
    if len(_CONTROL.findall(text[:SCORE_SAMPLE_CHARS])) > 0.01 * min(len(text), SCORE_SAMPLE_CHARS):
        raise UnreadableFile("tệp nhị phân (nhiều ký tự điều khiển)")
    return to_nfc(text)


def _parse_json(text: str):
    """json.loads, with nesting too deep for Python's parser reported like any other bad JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(DEEPLY_NESTED) from None


DERIVED_TITLE_CHARS = 120


_LEADING_SPACE = re.compile(r"\s*")


def first_line(text: str) -> str:
    """`text.strip().splitlines()[0]` ("" for a blank text), without copying a huge text."""
    start = _LEADING_SPACE.match(text).end()
    found = LINE_BREAK.search(text, start)
    end = found.start() if found else len(text)
    if found is None or _LEADING_SPACE.fullmatch(text, end):
        return text[start:end].rstrip()
    return text[start:end]


def is_blank(text: str) -> bool:
    """`not text.strip()`, without copying a huge text."""
    return not text or text.isspace()


def derived_title(text: str) -> str:
    """A display title for an article that has none: the start of its first line."""
    first = first_line(text)
    if len(first) <= DERIVED_TITLE_CHARS:
        return first
    cut = first.rfind(" ", 0, DERIVED_TITLE_CHARS)
    return first[:cut if cut > 40 else DERIVED_TITLE_CHARS] + " …"


def _parse_json_or_skip(text: str, item: str):
    """The parsed value, or a Skipped naming `item` with where the JSON breaks."""
    try:
        return _parse_json(text)
    except json.JSONDecodeError as error:
        where = f"cột {error.colno}" if error.lineno == 1 else f"dòng {error.lineno}"
        return Skipped(item, f"JSON không hợp lệ ({error.msg}, {where})")
    except ValueError as error:
        return Skipped(item, f"JSON không hợp lệ ({error})")


def _article(article_id: str, fields: dict, location: str | None = None) -> Article | Skipped:
    """An Article, or Skipped naming where it came from (`location`: file and line) when it has
    neither a title nor a text. A headline without a body (a photo or video item) is an article,
    found by its title."""
    fields["text"] = fields.get("text") or ""
    if is_blank(fields["text"]) and is_blank(fields.get("title") or ""):
        where = article_id if location in (None, article_id) else f"{location} (id {article_id})"
        return Skipped(where, NO_TEXT)
    if is_blank(fields["text"]):
        fields["text"] = ""
    if is_blank(fields.get("title") or ""):
        fields["title"] = derived_title(fields["text"])
    return Article(id=article_id, **fields)


@dataclass
class Pending:
    """An article read but not yet extracted: `finish` runs the metadata extraction, wherever
    it is called (in a worker process during a parallel rebuild)."""

    article_id: str
    location: str
    kind: str  # "record", "html" or "text"
    payload: dict | str

    def finish(self) -> Article | Skipped:
        """The article; the payload is let go (a huge raw text is not kept beside the clean one)."""
        payload, self.payload = self.payload, None
        if self.kind == "record":
            fields = metadata.article_fields_from_record(payload)
        elif self.kind == "html":
            try:
                fields = metadata.article_fields_from_html(payload)
            except RecursionError:
                return Skipped(self.location, f"HTML {DEEPLY_NESTED}")
        else:
            fields = metadata.article_fields_from_text(payload)
        del payload
        return _article(self.article_id, fields, self.location)


def _from_record(record, location: str) -> Pending | Skipped:
    """The article of one JSON value found at `location` (file, plus #L<line> or #<index>)."""
    if not isinstance(record, dict):
        return Skipped(location, "không phải một đối tượng JSON")
    article_id = location
    given_id = record.get("id")
    if isinstance(given_id, (str, int)) and not isinstance(given_id, bool) and str(given_id).strip():
        article_id = str(given_id).strip()
    return Pending(article_id, location, "record", record)


def _json_lines(lines: Iterator[str | UnreadableFile], rel: str) -> Iterator[Pending | Skipped]:
    for number, line in enumerate(lines, start=1):
        item = f"{rel}#L{number}"
        if isinstance(line, UnreadableFile):
            yield Skipped(item, str(line))
            continue
        if not line.strip():
            continue
        record = _parse_json_or_skip(line, item)
        yield record if isinstance(record, Skipped) else _from_record(record, item)


def _gzip_lines(path: Path) -> Iterator[str | UnreadableFile]:
    """Decoded lines of a .jsonl.gz; an undecodable line comes as an UnreadableFile to report."""
    count = 0
    try:
        with gzip.open(path, "rb") as stream:
            for raw in stream:
                count += 1
                try:
                    yield to_nfc(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    try:
                        yield decode(raw)
                    except UnreadableFile as error:
                        yield error
    except (OSError, EOFError, zlib.error):
        raise UnreadableFile(f"tệp gzip hỏng hoặc bị cắt cụt sau dòng {count}") from None


def read_file(path: Path, source_dir: Path) -> Iterator[Article | Skipped]:
    """The articles of one file, with a Skipped item for each bad file or line."""
    for item in read_pending(path, source_dir):
        yield item.finish() if isinstance(item, Pending) else item


def read_pending(path: Path, source_dir: Path) -> Iterator[Pending | Skipped]:
    """Like read_file, with each article's metadata extraction left to `Pending.finish`."""
    rel = path.relative_to(source_dir).as_posix()
    kind = format_of(path)
    try:
        if kind == ".jsonl.gz":
            yield from _json_lines(_gzip_lines(path), rel)
            return
        data = path.read_bytes()
        if not data:
            yield Skipped(rel, "tệp rỗng")
            return
        text = decode(data)
        del data  # the raw bytes and the decoded text of a huge file are not kept side by side
        if is_blank(text):
            yield Skipped(rel, "tệp chỉ có khoảng trắng")
        elif kind == ".jsonl":
            yield from _json_lines(iter_lines(text), rel)
        elif kind == ".json":
            parsed = _parse_json_or_skip(text, rel)
            del text
            if isinstance(parsed, Skipped):
                yield parsed
                return
            records = parsed if isinstance(parsed, list) else [parsed]
            del parsed
            # Popped, not iterated: a record is let go once its article is made.
            count = len(records)
            records.reverse()
            for number in range(count):
                yield _from_record(records.pop(), rel if count == 1 else f"{rel}#{number}")
        else:
            pending = Pending(rel, rel, "html" if kind in (".html", ".htm") else "text", text)
            del text
            yield pending
    except UnreadableFile as error:
        yield Skipped(rel, str(error))
    except OSError as error:
        yield Skipped(rel, f"không đọc được tệp ({error.strerror or error})")

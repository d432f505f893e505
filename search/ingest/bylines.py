"""Who wrote and who published: the byline (author) and the source (outlet, portal).

The byline is usually the last short line ("V.H", "Nhóm PV", "Hùng Cường",
"Tin: Vân Anh, Ảnh: Đình Nguyên"); the source is a leading dateline code
("(HMC) - …", "PhuthoPortal - …") or the host of the article's URL.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from .provinces import canonical_province

_DATA = Path(__file__).resolve().parents[1] / "data" / "outlets_vn.json"

MAX_BYLINE_CHARS = 60
MAX_NAME_WORDS = 5

_LABELLED = re.compile(
    r"^(?:tin|bài|tin và ảnh|bài và ảnh|tin,? ảnh|bài,? ảnh|tin\s*/\s*ảnh|bài\s*/\s*ảnh|tin\s*-\s*ảnh|"
    r"bài\s*-\s*ảnh|nội dung|thực hiện|tác giả|phóng viên|bài viết|tin bài|nhóm thực hiện)\s*[:：]\s*(.+)$",
    re.IGNORECASE,
)
_CREDIT_TAIL = re.compile(
    r"\s*[,;|–—-]?\s*(?:ảnh|video|clip|đồ họa|đồ hoạ|thiết kế|trình bày|hình)\s*[:：].*$", re.IGNORECASE
)
_ATTRIBUTION_TAIL = re.compile(r"\s*(?:\(?\s*theo\s+[^()]{1,40}\)?|\(\s*tổng hợp\s*\)|\(\s*t/h\s*\)|\./\.)\s*$",
                               re.IGNORECASE)
_GLUED_THEO = re.compile(r"(?<=[a-zà-ỹđ.])Theo\s+\S.*$")
_AGENCY_TAIL = re.compile(r"\s*[(\-–]\s*(?:TTXVN|VNA|TTXVN/Vietnam\+|PV|CTV)\s*\)?\s*$")
_INITIALS = re.compile(r"^(?:[A-ZĐÀ-Ỹ]{1,4}\.?){1,4}$|^(?:[A-ZĐ]\.){1,3}[A-ZĐÀ-Ỹ][\wà-ỹđ]*$")
_NAME_WORD = re.compile(r"^[A-ZĐÀ-Ỹ][a-zà-ỹđ]+$")
_LOWER_BYLINE_WORDS = frozenset({"nhóm", "phóng", "viên", "và", "ctv", "pv", "cộng", "tác"})
_NOT_AUTHORS = frozenset({
    "theo", "nguồn", "ảnh", "video", "clip", "tin", "bài", "hết", "kết thúc", "xem", "việt nam", "vietnam",
    "hình ảnh", "ảnh minh họa", "ảnh minh hoạ", "minh họa", "chia sẻ", "tin tức", "thông báo",
})

_DATELINE_PAREN = re.compile(r"^\(\s*([^()\n]{2,40}?)\s*\)\s*[-–—:]\s*")
_DATELINE_CODE = re.compile(r"^([A-ZĐ][\w.+]{1,30})\s*[-–—]\s+")


@lru_cache(maxsize=1)
def _outlets() -> dict:
    return json.loads(_DATA.read_text(encoding="utf-8"))


def _plausible_name(part: str) -> bool:
    words = part.split()
    if not 1 <= len(words) <= MAX_NAME_WORDS:
        return False
    if len(words) == 1:
        return bool(_INITIALS.match(words[0]) or _NAME_WORD.match(words[0]))
    for word in words:
        if word.lower() in _LOWER_BYLINE_WORDS or _INITIALS.match(word) or _NAME_WORD.match(word):
            continue
        return False
    return any(not w.lower() in _LOWER_BYLINE_WORDS or w.isupper() for w in words)


def author_from_line(line: str) -> str | None:
    """The author named by a byline line, or None when the line is not a byline."""
    if not line or len(line) > MAX_BYLINE_CHARS + 40:
        return None
    candidate = line.strip()
    labelled = _LABELLED.match(candidate)
    if labelled:
        candidate = labelled.group(1)
    candidate = _CREDIT_TAIL.sub("", candidate)
    candidate = _GLUED_THEO.sub("", candidate)
    candidate = _ATTRIBUTION_TAIL.sub("", candidate)
    candidate = _AGENCY_TAIL.sub("", candidate).strip(" .,;-–")
    if not candidate or len(candidate) > MAX_BYLINE_CHARS or any(ch.isdigit() for ch in candidate):
        return None
    if candidate.lower() in _NOT_AUTHORS or canonical_province(candidate):
        return None
    if any(mark in candidate for mark in "!?:;\"“”()[]"):
        return None
    parts = [part.strip() for part in re.split(r"\s*(?:,|\s-\s|–|&)\s*", candidate) if part.strip()]
    if not parts or len(parts) > 4 or not all(_plausible_name(part) for part in parts):
        return None
    return candidate


def split_byline(lines: list[str]) -> tuple[list[str], str | None]:
    """Body lines without a trailing byline, and the author it names."""
    if len(lines) < 2:
        return lines, None
    author = author_from_line(lines[-1])
    if author:
        return lines[:-1], author
    return lines, None


def dateline_source(line: str) -> str | None:
    """The source code a lead opens with: '(HMC) - Sáng 26/6' → 'HMC'; 'PhuthoPortal - …'."""
    match = _DATELINE_PAREN.match(line)
    if match:
        code = match.group(1).strip()
    else:
        match = _DATELINE_CODE.match(line)
        if not match:
            return None
        code = match.group(1).rstrip(".")
        inner = code[1:]
        if not (any(ch.isupper() for ch in inner) or "." in code or code.lower().endswith("portal")):
            return None
    if len(code.split()) > 4 or any(ch.isdigit() for ch in code[:1]):
        return None
    return _outlets()["codes"].get(code, code)


def source_from_url(url: object) -> str | None:
    """A readable outlet name for a URL's host ('https://dantri.com.vn/…' → 'Dân trí'), else the host."""
    if not isinstance(url, str) or "." not in url:
        return None
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower()).split("/")[0].split(":")[0]
    host = host[4:] if host.startswith("www.") else host
    if not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", host):
        return None
    hosts = _outlets()["hosts"]
    for known, name in hosts.items():
        if host == known or host.endswith("." + known):
            return name
    return host

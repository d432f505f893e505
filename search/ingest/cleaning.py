"""Boilerplate removal and title finding for article text pasted from web pages.

Works line by line: navigation and share lines, view counters, language switchers,
breadcrumbs, "null" artefacts, captions repeated twice in a row, related-article
lists ("Tin cùng chuyên mục" and everything after it), save notices, photo credits
("Ảnh: CACC"), 24h's link placeholders ("Nguồn: [Link nguồn]") with the related lead
before them, and its betting promotion are dropped; the title is the
line the page repeats near the top, else the first line that reads like a headline.
"""
from __future__ import annotations

import re
from typing import Iterator

from .dates import is_dateline

# Lines looked at for the title; a page's header, breadcrumbs and title come first.
TITLE_WINDOW = 10
MIN_TITLE_CHARS = 20
MIN_TITLE_WORDS = 4
MAX_TITLE_CHARS = 300
# Boilerplate lines are short; a paragraph is never one.
MAX_BOILERPLATE_CHARS = 200

_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_NULL_PREFIX = re.compile(r"^(?:null|undefined|none|nan)(?:\s+|$)", re.IGNORECASE)
_INLINE_NOISE = re.compile(
    r"lưu bài viết thành công\s*(?:bạn có thể xem lại bài viết đã lưu ở\s*trang(?:\s*tin bài đã lưu)?)?"
    r"|(?:số\s+)?lượt\s+(?:xem|đọc|truy cập)\s*:\s*[\d.,]+"
    r"|\|?\s*views?\s*:\s*[\d.,]+",
    re.IGNORECASE,
)
_NAVIGATION = frozenset(
    """chia sẻ bài viết|chia sẻ|share|tweet|like|thích|in bài viết|in bài|bản in|in trang|print|
    gửi email|gửi bài viết|gửi cho bạn bè|email|facebook|zalo|twitter|google+|linkedin|lưu bài viết|
    lưu|quay lại|quay về|trở về|trở lại|về đầu trang|đầu trang|lên đầu trang|top|bình luận|
    gửi bình luận|ý kiến bạn đọc|ý kiến|trang chủ|home|tin tức|tin tức sự kiện|chi tiết bài viết|
    chi tiết tin|cỡ chữ|font chữ|chọn cỡ chữ|a a a|a- a a+|a a+|null|undefined|none|nan|theo dõi|
    đăng ký|đánh giá bài viết|xem thêm|đọc thêm|tin mới|tin mới nhất|tin nổi bật|tags|từ khóa|
    chuyên mục|nghe đọc bài|đọc bài|nghe|tải về|tải xuống|download|copy link|sao chép liên kết|
    tiếng việt|english|vietnamese|vi|en""".replace("\n", "").split("|")
)
_NAVIGATION = frozenset(item.strip() for item in _NAVIGATION)
_RELATED_HEADERS = frozenset(
    """tin cùng chuyên mục|tin liên quan|bài viết liên quan|bài liên quan|tin bài liên quan|
    các tin khác|tin khác|các tin đã đưa|tin đã đưa|các bài viết khác|bài viết khác|tin mới hơn|
    tin cũ hơn|có thể bạn quan tâm|bạn có thể quan tâm|tin xem nhiều|tin đọc nhiều|
    đọc nhiều nhất|xem nhiều nhất|tin cùng loại|các tin cũ hơn|các tin mới hơn""".replace("\n", "").split("|")
)
_RELATED_HEADERS = frozenset(item.strip() for item in _RELATED_HEADERS)
_LANGUAGE = r"(?:tiếng việt|tiếng anh|english|vietnamese|vn|vi|en|eng|中文|日本語|한국어|français|русский)"
_LANGUAGE_SWITCHER = re.compile(rf"^{_LANGUAGE}(?:\s*[|/•·\-]\s*{_LANGUAGE})+$", re.IGNORECASE)
_COUNTER = re.compile(
    r"^(?:(?:số\s+)?lượt\s+(?:xem|đọc|truy cập)|views?|lượt thích|bình luận)\s*:?\s*[\d.,]*$"
    r"|^[\d.,]+\s+(?:lượt\s+xem|views?|bình luận)$",
    re.IGNORECASE,
)
_TAG_LINE = re.compile(r"^(?:tags?|từ khóa|từ khoá|chủ đề)\s*:", re.IGNORECASE)
_BREADCRUMB = re.compile(r"^[^.!?:]{1,60}(?:\s*[>»›/]\s*[^.!?:>»›/]{1,60}){1,6}$")
_SHARE_ROW = re.compile(r"^(?:(?:facebook|zalo|twitter|email|print|in|chia sẻ|share|tweet|like)\s*[|,·•]?\s*){2,}$",
                        re.IGNORECASE)
_BREADCRUMB_START = re.compile(r"^(?:chi tiết bài viết|trang chủ|home)\b", re.IGNORECASE)
_RELATED_LINK = re.compile(r"^.{8,250}\(\d{1,2}/\d{1,2}/\d{4}\)\s*$")
_PHOTO_SUFFIX = re.compile(r"\s*[-–—]\s*(?:ảnh|hình|photo)\s*\d+\s*$", re.IGNORECASE)


_NULL_STARTS = ("null", "undefined", "none", "nan")


def normalize_line(line: str) -> str:
    if _INVISIBLE.search(line):
        line = _INVISIBLE.sub("", line)
    line = " ".join(line.split())
    if line[:9].lower().startswith(_NULL_STARTS):
        line = _NULL_PREFIX.sub("", line)
    return line


# The line boundaries of str.splitlines.
LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def iter_lines(text: str) -> Iterator[str]:
    """The lines of `text` as `text.splitlines()` makes them, one at a time: a huge text is
    never held twice, as itself and as a list of its raw lines."""
    start = 0
    for found in LINE_BREAK.finditer(text):
        yield text[start:found.start()]
        start = found.end()
    if start < len(text):
        yield text[start:]


# 24h ends a text with its related-article box: that article's lead (cut at about 160 characters,
# then "...") and the placeholder of its link, "Nguồn: [Link nguồn]", once or more.
_SOURCE_LINK = re.compile(r"\s*Nguồn\s*:\s*\[\s*Link nguồn\s*\]", re.IGNORECASE)
_SOURCE_LINKS_AT_END = re.compile(r"(?:\s*Nguồn\s*:\s*\[\s*Link nguồn\s*\])+\s*$", re.IGNORECASE)
TEASER_CHARS = 165
_SENTENCE_START = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][”\"»)]))\s+(?=[(“\"«]?[^\W\d_])")
# A photo credit after a caption: "… bị khởi tố. Ảnh: CACC Ngày 3/2, …", "(Ảnh: NVCC)".
_CREDIT_LEAD = r"(?:(?<=^)|(?<=[.!?…”\"]\s)|(?<=[.!?…”\"]))\s*(?:Ảnh|Nguồn ảnh|Hình|Photo)\s*:\s*"
_KNOWN_CREDITS = ("Nhân vật cung cấp|NVCC|Quốc hội|Internet|Instagram|Facebook|Getty Images|Reuters|AFP|AP|"
                  "Shutterstock|Minh họa|Minh hoạ|minh họa|minh hoạ|Tư liệu|tư liệu|Chụp màn hình|Cắt từ clip")
_NAME_WORD = r"[^\W\d_a-zà-ỹđ][a-zà-ỹđ]{0,6}"
_PHOTO_CREDIT = re.compile(
    r"\s*\(\s*(?:Ảnh|Nguồn ảnh|Photo)\s*:[^()]{1,60}\)"  # "(Ảnh: Thanh Lam)"
    + "|" + _CREDIT_LEAD + "(?:"
    + rf"(?:{_KNOWN_CREDITS}|[A-ZĐ][A-ZĐ.]{{1,9}})(?=\s+[^\W\d_a-zà-ỹđ]|\s*$)"  # "Ảnh: CACC Ngày 3/2"
    + rf"|{_NAME_WORD} {_NAME_WORD}(?= {_NAME_WORD} [a-zà-ỹđ])"  # "Ảnh: Thái Nguyễn Còn theo …"
    + r"|[^.!?()\n]{2,40}(?:\.(?=\s|$)|$)"  # "Ảnh: Công an tỉnh Phú Thọ." or at the end
    + ")"
)
MAX_CREDIT_WORDS = 6
# 24h's betting promotion between paragraphs.
_PROMO = re.compile(r"(?:[^\W\d_]\w* - [^\W\d_]\w*(?: [^\W\d_]\w*)? )?\d{1,2}\.\d{1,2}\s+Dự đoán tỷ số trận đấu\."
                    r"\s*Cơ hội trúng ngay [\d.,]+ (?:triệu )?đồng!*")


def drop_source_teaser(line: str) -> str:
    """Without the related-article lead and link placeholders that end a 24h text. A lead cut
    with "..." starts at the farthest sentence start within its length; a whole one is the last
    sentence, when that is no longer than a lead can be."""
    found = _SOURCE_LINKS_AT_END.search(line)
    if not found:
        return line
    body = line[:found.start()].rstrip()
    window = max(0, len(body) - TEASER_CHARS)
    starts = [m.end() for m in _SENTENCE_START.finditer(body, window)]
    if body.endswith(("...", "…")):
        if starts:
            body = body[:starts[0]]
    elif starts:
        body = body[:starts[-1]]
    return body.rstrip()


def _credit(match: re.Match) -> str:
    credit = match.group()
    if len(credit.split()) > MAX_CREDIT_WORDS + 1:
        return credit
    after = match.string[match.end():match.end() + 1]
    return "" if after in ".,;:!?" else " "  # "ngày 24/4 (Ảnh: AP)." → "ngày 24/4."


def drop_photo_credits(line: str) -> str:
    """Without photo credits such as "Ảnh: CACC" or "(Ảnh: NVCC)" after a caption."""
    return _PHOTO_CREDIT.sub(_credit, line)


def _inline_cleaned(line: str) -> str:
    """A line without the boilerplate pasted inside it (save notices, counters, credits, links)."""
    if "lượt" in line or "ưu bài" in line or "iew" in line:
        line = _INLINE_NOISE.sub(" ", line)
    if "ink nguồn" in line:
        line = _SOURCE_LINK.sub(" ", drop_source_teaser(line))
    if ":" in line and ("Ảnh" in line or "ảnh" in line or "Hình" in line or "Photo" in line):
        line = drop_photo_credits(line)
    if "Dự đoán tỷ số" in line:
        line = _PROMO.sub(" ", line)
    return line


def split_lines(raw: str) -> list[str]:
    """Non-empty lines, whitespace-normalised, with 'null' artefacts, counters, photo credits
    and link placeholders removed."""
    lines = []
    for line in iter_lines(raw):
        line = normalize_line(_inline_cleaned(line))
        if line:
            lines.append(line)
    return lines


_EDGE_CHARS = " \t.,;:!?-–—|()[]{}\"'“”‘’…*•·/\\><»«›‹#~_+=^"


def _key(line: str) -> str:
    return line.lower().strip(_EDGE_CHARS)


def is_boilerplate(line: str) -> bool:
    """Navigation, share, counter, language-switcher, tag and breadcrumb lines."""
    if len(line) > MAX_BOILERPLATE_CHARS:
        return False
    key = _key(line)
    if not key or key in _NAVIGATION or key in _RELATED_HEADERS:
        return True
    if _LANGUAGE_SWITCHER.match(key) or _COUNTER.match(key) or _TAG_LINE.match(line):
        return True
    if _SHARE_ROW.match(key):
        return True
    if _BREADCRUMB_START.match(key) and len(key.split()) <= 8:
        return True
    if len(key.split()) <= 12 and _BREADCRUMB.match(line) and any(mark in line for mark in ">»›"):
        return True
    return False


def is_related_header(line: str) -> bool:
    return _key(line) in _RELATED_HEADERS


def _title_like(line: str) -> bool:
    words = line.split()
    return (MIN_TITLE_CHARS <= len(line) <= MAX_TITLE_CHARS and len(words) >= MIN_TITLE_WORDS
            and not line.endswith(":") and not is_boilerplate(line) and not is_dateline(line))


def find_title(lines: list[str]) -> int | None:
    """Index of the title line: one the page repeats near the top, else the first headline-like line."""
    window = lines[:TITLE_WINDOW]
    seen: dict[str, int] = {}
    for index, line in enumerate(window):
        key = _key(line)
        # Repeated with other lines between (header, then h1): a caption repeats right away.
        if key in seen and seen[key] < index - 1 and _title_like(line):
            return seen[key]
        seen.setdefault(key, index)
    for index, line in enumerate(window):
        if _title_like(line):
            return index
    return None


def drop_repeats(lines: list[str]) -> list[str]:
    """A line repeated right after itself (an image caption printed twice) is kept once."""
    kept: list[str] = []
    for line in lines:
        if not kept or (line != kept[-1] and (abs(len(line) - len(kept[-1])) > 8 or _key(line) != _key(kept[-1]))):
            kept.append(line)
    return kept


def drop_related(lines: list[str]) -> list[str]:
    """Cut a related-articles list and everything after it, and trailing dated link lines."""
    for index, line in enumerate(lines):
        if index > 0 and is_related_header(line):
            lines = lines[:index]
            break
    end = len(lines)
    while end > 1 and _RELATED_LINK.match(lines[end - 1]):
        end -= 1
    return lines[:end] if end >= 1 else lines


def strip_boilerplate(lines: list[str], title: str | None = None) -> list[str]:
    """Body lines without boilerplate, datelines, related lists or repeats of the title."""
    title_key = _key(title) if title else None
    body = []
    for index, line in enumerate(drop_related(lines)):
        if is_boilerplate(line):
            continue
        if index < TITLE_WINDOW and is_dateline(line):
            continue
        if title_key and len(line) <= len(title_key) + 20 and (
                _key(line) == title_key or _key(_PHOTO_SUFFIX.sub("", line)) == title_key):
            continue
        body.append(line)
    return drop_repeats(body)


def clean_text(raw: str) -> tuple[str | None, list[str], list[str]]:
    """Raw pasted article → (title, body lines, top lines kept for the publication date).

    Lines above the title are page chrome (site name, breadcrumbs) and are dropped.
    """
    lines = split_lines(raw)
    index = find_title(lines)
    if index is None:
        top = [line for line in lines[:TITLE_WINDOW] if not is_boilerplate(line)]
        return None, keep_only_line(lines, strip_boilerplate(lines)), top
    title = lines[index]
    rest = lines[index + 1:]
    top = [line for line in lines[:index] + rest[:3] if not is_boilerplate(line)]
    return title, strip_boilerplate(rest, title), top


def clean_record_text(text: str, title: str | None) -> list[str]:
    """Body lines of a JSON record's text: same rules, minus title finding."""
    lines = split_lines(text)
    body = strip_boilerplate(lines, title)
    return body if title else keep_only_line(lines, body)


def keep_only_line(lines: list[str], body: list[str]) -> list[str]:
    """A text of one line with no title beside it is the article itself, whatever it looks like
    ("Chủ đề : …" reads like a tag line): it is kept, never cleaned away to nothing."""
    return lines if not body and len(lines) == 1 else body

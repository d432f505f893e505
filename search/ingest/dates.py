"""Publication dates: find them in the top lines of an article, validate, write ISO 8601.

Only full dates count (day, month and year): "26/6" has no year, "38/38" is a
fraction, "nhiệm kỳ 2020 – 2025" is a term of office. Impossible dates (31/02)
are rejected by the calendar.
"""
from __future__ import annotations

import datetime as dt
import re

LOCAL_TZ = dt.timezone(dt.timedelta(hours=7))
MIN_YEAR = 1945
# How far into the top of an article a publication line is looked for.
TOP_LINES = 6

_DMY = re.compile(
    r"(?<![\w/.\-])(\d{1,2})[ \t]*([/.\-])[ \t]*(\d{1,2})[ \t]*\2[ \t]*((?:19|20)\d{2})(?![\w/]|[.\-]\d)"
)
_WORDS_DMY = re.compile(
    r"(?<!\w)(?:ngày[ \t]+)?(\d{1,2})[ \t]+tháng[ \t]+(\d{1,2})[ \t]*(?:năm|,|/)[ \t]*((?:19|20)\d{2})(?!\d)",
    re.IGNORECASE,
)
_ISO = re.compile(
    r"(?<![\w/])((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})"
    r"(?:[T \t]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?[ \t]*(Z|[+\-]\d{2}:?\d{2})?)?(?![\w/])"
)
_TIME = re.compile(r"(?<![\w:/.])([01]?\d|2[0-3])[:hg]([0-5]\d)(?::([0-5]\d))?(?![\w:/])", re.IGNORECASE)
_TIME_GAP = re.compile(r"^[\s,|\-–—(]*(?:lúc[ \t]*)?$|^[\s,|\-–—)]*(?:GMT[+\-]?\d*|\(GMT[+\-]?\d*\))?[\s,|\-–—]*$",
                       re.IGNORECASE)
# What may surround a date on a publication line ("Thứ hai, 31/5/2020 08:49 | Số lượt xem: 695").
_DATELINE_NOISE = re.compile(
    r"thứ[ \t]+(?:hai|ba|tư|năm|sáu|bảy|2|3|4|5|6|7)|chủ[ \t]+nhật|cập[ \t]+nhật(?:[ \t]+lúc)?|"
    r"đăng[ \t]+(?:ngày|lúc|tải)|ngày[ \t]+đăng|ngày[ \t]+cập[ \t]+nhật|ngày|lúc|xuất[ \t]+bản|"
    r"(?:số[ \t]+)?lượt[ \t]+(?:xem|đọc|truy[ \t]+cập)[ \t]*:?[ \t]*[\d.,]*|views?[ \t]*:?[ \t]*[\d.,]*|"
    r"gmt[+\-]?\d*|sáng|chiều|tối|trưa|posted|published|updated|date|[\W_]+",
    re.IGNORECASE,
)
# A lead that opens with its own date: "PhuthoPortal - Ngày 19/1/2022, …", "(TTXVN) - Sáng 3/2/2020, …".
_LEAD_OPENING = re.compile(
    r"^(?:\(?[^\s()]{2,40}\)?[ \t]*[-–—][ \t]*)?"
    r"(?:(?:sáng|chiều|tối|trưa|đêm|hôm[ \t]+nay|ngày|thứ[ \t]+\w+|chủ[ \t]+nhật)[ \t,]*)*$",
    re.IGNORECASE,
)


def valid_date(year: int, month: int, day: int) -> dt.date | None:
    if not MIN_YEAR <= year <= dt.date.today().year + 1:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _time_near(line: str, start: int, end: int) -> dt.time | None:
    """A clock time written right before or after a date on the same line."""
    for match in _TIME.finditer(line):
        if match.end() <= start:
            gap = line[match.end():start]
        elif match.start() >= end:
            gap = line[end:match.start()]
        else:
            continue
        if len(gap) <= 6 and _TIME_GAP.match(gap):
            return dt.time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
    return None


def find_dates(line: str) -> list[tuple[int, int, dt.date, dt.time | None]]:
    """Every valid full date in a line: (start, end, date, time or None), in order."""
    found = []
    for match in _DMY.finditer(line):
        date = valid_date(int(match.group(4)), int(match.group(3)), int(match.group(1)))
        if date:
            found.append((match.start(), match.end(), date, _time_near(line, *match.span())))
    for match in _WORDS_DMY.finditer(line):
        date = valid_date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if date:
            found.append((match.start(), match.end(), date, _time_near(line, *match.span())))
    for match in _ISO.finditer(line):
        date = valid_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if date:
            clock = None
            if match.group(4) and int(match.group(4)) < 24 and int(match.group(5)) < 60:
                clock = dt.time(int(match.group(4)), int(match.group(5)), min(int(match.group(6) or 0), 59))
            found.append((match.start(), match.end(), date, clock or _time_near(line, *match.span())))
    found.sort(key=lambda item: item[0])
    return found


def to_iso(date: dt.date, clock: dt.time | None = None) -> str:
    if clock is None:
        return date.isoformat()
    return dt.datetime.combine(date, clock, tzinfo=LOCAL_TZ).isoformat()


def is_dateline(line: str) -> bool:
    """A line that is a publication date and nothing else worth keeping."""
    if len(line) > 120:
        return False
    dates = find_dates(line)
    if not dates:
        return False
    rest = line
    for start, end, _, _ in reversed(dates):
        rest = rest[:start] + " " + rest[end:]
    rest = _TIME.sub(" ", rest)
    return not _DATELINE_NOISE.sub("", rest)


def publication_date(lines: list[str], allow_lead: bool = True) -> str | None:
    """The publication date stated in the top lines of an article, as ISO 8601.

    A line that is only a date wins; otherwise, when allowed, a lead that opens with
    a full date ("Ngày 19/1/2022, …"). Dates further down the body are never used.
    """
    top = lines[:TOP_LINES]
    for line in top:
        if is_dateline(line):
            _, _, date, clock = find_dates(line)[0]
            return to_iso(date, clock)
    if allow_lead:
        for line in top:
            for start, _, date, clock in find_dates(line[:200]):
                if _LEAD_OPENING.match(line[:start]):
                    return to_iso(date, clock)
    return None


def normalize_date_value(value: object) -> str | None:
    """A date given by a JSON record ('2020-05-31', '31/05/2020 08:49', an ISO timestamp,
    epoch seconds) → ISO 8601 date or local datetime; junk → None."""
    try:
        return _normalize_date_value(value)
    except (ValueError, OverflowError, OSError):
        return None


def _normalize_date_value(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
        if seconds > 1e11:
            seconds /= 1000.0
        if not 1e8 < seconds < 4.2e9:
            return None
        moment = dt.datetime.fromtimestamp(seconds, LOCAL_TZ)
        return moment.isoformat() if valid_date(moment.year, moment.month, moment.day) else None
    if not isinstance(value, str):
        return None
    text = value.strip()[:200]
    iso = _ISO.fullmatch(text) or _ISO.match(text)
    if iso:
        date = valid_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if date is None:
            return None
        if not iso.group(4):
            return date.isoformat()
        moment = dt.datetime.combine(date, dt.time(int(iso.group(4)), int(iso.group(5)), int(iso.group(6) or 0)))
        zone = iso.group(7)
        if zone:
            offset = dt.timezone.utc if zone == "Z" else _parse_offset(zone)
            moment = moment.replace(tzinfo=offset).astimezone(LOCAL_TZ)
        else:
            moment = moment.replace(tzinfo=LOCAL_TZ)
        return moment.isoformat()
    dates = find_dates(text)
    if dates:
        _, _, date, clock = dates[0]
        return to_iso(date, clock)
    return None


def _parse_offset(zone: str) -> dt.timezone:
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))


def year_of(published: str | None) -> int | None:
    if not published or len(published) < 4 or not published[:4].isdigit():
        return None
    return int(published[:4])

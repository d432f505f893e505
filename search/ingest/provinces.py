"""Provinces: the gazetteer (63 units before 1 July 2025, 34 since) and inference.

The gazetteer is built once, lazily, from vietnamadminunits' JSON data plus
``search/data/places_aliases.json`` (spelling variants, former provinces, phrases
that only contain a place name). Inference scans the title and the first part of
the text once, token by token, looking up candidate n-grams in one dict; each
piece of explicit evidence scores by its kind and position, and a province is
given only when it clearly dominates.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..text import normalize_tones

_DATA_DIR = Path(__file__).resolve().parents[1] / "data"
_ADMIN_PACKAGE = "vietnamadminunits"

# Scanning is bounded: an article names its place early; a 50 MB text stays cheap.
SCAN_LIMIT = 20_000
LEAD_CHARS = 500

_HCM = "Hồ Chí Minh"
_CANONICAL_63_FIX = {"Huế": "Thừa Thiên Huế"}

_WORD = re.compile(r"\w+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_INNER_SEPARATOR = re.compile(r"[ \t\u00a0]*(?:[-–—.][ \t\u00a0]*)?")
_PHRASE_SEPARATOR = re.compile(r"[ \t\u00a0]+")
_QUALIFIER_SEPARATOR = re.compile(r"[ \t\u00a0]*\.?[ \t\u00a0]*")


def fold(text: str) -> str:
    """Accentless lower-case letters and digits only: 'TP. Hồ Chí Minh' → 'tphochiminh'."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", stripped)


def _name_key(name: str) -> tuple[str, ...]:
    return tuple(normalize_tones(w) for w in _WORD.findall(unicodedata.normalize("NFC", name).lower()))


@dataclass(frozen=True)
class _Entry:
    kind: str  # "province" | "town" | "stop" | "weak" | "needs_qualifier"
    province: str | None = None


@dataclass
class Gazetteer:
    provinces_63: tuple[str, ...]
    provinces_34: tuple[str, ...]
    to_2025: dict[str, str]
    folded: dict[str, str]  # folded alias → canonical 63 name
    bare: dict[tuple[str, ...], _Entry]  # names usable without a qualifier
    province_names: dict[tuple[str, ...], str]  # after "tỉnh" / "thành phố"
    districts: dict[tuple[str, ...], dict[str, set[str]]]  # name → type → provinces
    starts: dict[int, dict[str, int]]  # id of a name table → first word → longest name length
    interesting: frozenset[str]  # first words worth a look: names and qualifiers
    candidates: frozenset[str]  # first words around which a window of text is scanned
    outlet_pattern: re.Pattern
    national_outlets: frozenset[str]


def _admin_data(name: str) -> dict:
    import importlib.util

    spec = importlib.util.find_spec(_ADMIN_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("vietnamadminunits is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / name
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    legacy = _admin_data("parser_legacy.json")
    converter = _admin_data("converter_2025.json")
    new = _admin_data("parser_from_2025.json")
    extra = json.loads((_DATA_DIR / "places_aliases.json").read_text(encoding="utf-8"))

    key_to_63: dict[str, str] = {}
    folded: dict[str, str] = {}
    for key, info in legacy["DICT_PROVINCE"].items():
        name = _CANONICAL_63_FIX.get(info["provinceShort"], info["provinceShort"])
        key_to_63[key] = name
        for keyword in info["provinceKeywords"]:
            folded.setdefault(fold(keyword), name)
        folded[fold(name)] = name
        folded[fold(info["province"])] = name
    for name, aliases in extra["folded_aliases"].items():
        for alias in aliases:
            folded[fold(alias)] = name

    provinces_34 = tuple(info["provinceShort"] for info in new["DICT_PROVINCE"].values())
    new_short = {key: info["provinceShort"] for key, info in new["DICT_PROVINCE"].items()}
    to_2025 = {}
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        for old_key in old_keys:
            to_2025[key_to_63[old_key]] = new_short[new_key]

    province_names: dict[tuple[str, ...], str] = {}
    for name in key_to_63.values():
        province_names[_name_key(name)] = name
    for name, aliases in extra["province_aliases"].items():
        for alias in aliases:
            province_names[_name_key(alias)] = name

    districts: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for key, units in legacy["DICT_PROVINCE_DISTRICT"].items():
        for unit in units.values():
            districts[_name_key(unit["districtShort"])][unit["districtType"]].add(key_to_63[key])
    for number in range(1, 13):
        districts[(str(number),)]["Quận"].add(_HCM)
    districts = {name: dict(types) for name, types in districts.items()}

    bare: dict[tuple[str, ...], _Entry] = {}
    blocked = {_name_key(name) for name in extra["bare_town_blocklist"]}
    for name, types in districts.items():
        owners = set().union(*types.values())
        town_owners = types.get("Thành phố", set()) | types.get("Thị xã", set())
        if len(owners) == 1 and town_owners and name not in blocked and len(name) > 1:
            bare[name] = _Entry("town", next(iter(owners)))
    for name_key, name in province_names.items():
        bare[name_key] = _Entry("province", name)
    for phrase in extra["requires_qualifier"]:
        bare[_name_key(phrase)] = _Entry("needs_qualifier")
    for phrase in extra["stop_phrases"]:
        bare[_name_key(phrase)] = _Entry("stop")
    for name, phrases in extra["weak_phrases"].items():
        for phrase in phrases:
            bare[_name_key(phrase)] = _Entry("weak", name)

    slugs = sorted({alias for alias in folded if len(alias) > 3}, key=len, reverse=True)
    outlet_pattern = re.compile(
        r"^(?:bao|baodientu|congthongtindientu|congttdt|cttdt|portal|dai|daiptth|"
        r"daiphatthanhtruyenhinh|ptth|uybannhandan|ubnd|so\w{0,30}?)?"
        r"(?:tinh|thanhpho|tp)?(" + "|".join(slugs) + r")"
        r"(?:portal|online|news|moi|giaiphong|city|govvn|vn|comvn|orgvn|netvn)*$"
    )
    starts = {id(table): _first_words(table) for table in (bare, districts, province_names)}
    interesting = frozenset(starts[id(bare)]) | {q[0] for q in list(_QUALIFIERS) + list(_WARD_QUALIFIERS)}
    candidates = _candidate_pattern(set(starts[id(bare)]) | set(starts[id(province_names)]))
    return Gazetteer(
        provinces_63=tuple(key_to_63.values()),
        provinces_34=provinces_34,
        to_2025=to_2025,
        folded=folded,
        bare=bare,
        province_names=province_names,
        districts=districts,
        starts=starts,
        interesting=interesting,
        candidates=candidates,
        outlet_pattern=outlet_pattern,
        national_outlets=frozenset(extra["national_outlets"]),
    )


_UPPER = "A-ZÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_CANDIDATE = re.compile(
    rf"(?<!\w)[{_UPPER}]\w*|(?<!\w)(?:[Tt][ỉỈ][nN][hH]|[Tt][Pp]|[Hh][uU][yY][ệỆ][nN]|[Qq][uU][ậẬ][nN]|[Tt][Xx])(?!\w)"
    r"|(?i:thành\s+phố|thị\s+xã)"
)


def _candidate_pattern(first_words: set[str]) -> frozenset[str]:
    """Lower-case, tone-normalised first words that make a capitalised word a candidate."""
    return frozenset(first_words) | {"tỉnh", "tp", "huyện", "quận", "tx", "thành", "thị"}


def canonical_province(name: object) -> str | None:
    """A province name in any spelling ('tphcm', 'Tỉnh Long An', 'ha tay') → canonical 63 name."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        return None
    table = gazetteer().folded
    key = fold(unicodedata.normalize("NFC", name))
    if key in table:
        return table[key]
    for prefix in ("thanhpho", "tinh", "tp"):
        if key.startswith(prefix) and key[len(prefix):] in table:
            return table[key[len(prefix):]]
    return None


def province_2025_of(province: object) -> str | None:
    """The unit among the 34 (since 1 July 2025) that absorbed a province of the 63."""
    name = canonical_province(province)
    return gazetteer().to_2025.get(name) if name else None


def outlet_province(source: object = None, url: object = None) -> str | None:
    """The province of a provincial outlet or portal named by a source string or URL host."""
    gaz = gazetteer()
    candidates: list[str] = []
    if isinstance(url, str):
        host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower()).split("/")[0].split(":")[0]
        labels = [label for label in host.split(".") if label and label != "www"]
        is_gov = host.endswith(".gov.vn")
        for label in labels[:-1] if len(labels) > 1 else labels:
            folded_label = fold(label)
            if folded_label.startswith("bao") or folded_label.endswith("portal") or is_gov:
                candidates.append(folded_label)
    if isinstance(source, str) and len(source) < 120:
        candidates.append(fold(source))
    for candidate in candidates:
        if not candidate or candidate in gaz.national_outlets:
            continue
        match = gaz.outlet_pattern.match(candidate)
        if match:
            return gaz.folded.get(match.group(1))
    return None


@dataclass(frozen=True)
class Evidence:
    province: str
    weight: float
    zone: str  # "outlet" | "title" | "lead" | "body"
    kind: str  # "outlet" | "province" | "qualified" | "district" | "town" | "weak"
    start: int = 0
    end: int = 0  # where the name ends, in the same text as start
    context: str = ""  # "" | "residence" | "enumeration" | "organisation" | "team" | "foreign": why it says less


_ZONE_WEIGHT = {"title": 4.0, "lead": 2.0, "body": 1.0}
_KIND_FACTOR = {"qualified": 1.5, "province": 1.0, "district": 1.5, "town": 0.8, "weak": 0.3}
_BODY_CAP = 5.0
_OUTLET_WEIGHT = 8.0
_MIN_SCORE = 2.5
_MIN_BODY_ONLY_SCORE = 4.0
_DOMINANCE = 2.0
_NATIONWIDE_LIST = 10
_WIDE_DOMINANCE = 3.0

# Words after which a capitalised name is not a province: people, streets, sub-units.
_BLOCKING_PREVIOUS = frozenset(
    """ông bà anh chị em cô chú bác cụ cháu bé thầy cậu dì mợ con vợ chồng
    đường phố ngõ ngách hẻm lộ kiệt xã phường ấp thôn bản xóm trấn khóm tàu thép bia""".split()
)
# Facilities, schools and teams named after a province: "thủy điện Hòa Bình", "nhiệt điện Quảng Ninh",
# "chào sàn Hà Nội" (the stock exchange), "Đại học Huế", "Sư phạm Hà Nội", "đội Long An", "sân vận
# động Hà Nội". Local authorities ("Công an tỉnh Quảng Nam", "UBND Hà Nội", "Sở Y tế TP.HCM") are not
# among them: they act in their province. Such a mention still weighs for the main province as before
# (its evidence is kept) but is no place for the list.
_ORGANISATION_PREVIOUS = frozenset("điện sàn học phạm khoa đội động".split())
_CLUB_BEFORE = re.compile(r"(?:câu\s+lạc\s+bộ|đội\s+bóng|đội\s+tuyển|CLB|FC)\s*$", re.IGNORECASE)
# Capitalised words that may precede a place name without making it part of a longer name.
_ALLOWED_CAPITALISED_PREVIOUS = frozenset(
    """báo đài cổng sở công tỉnh thành tp ubnd hđnd ở tại về từ đến và cho của
    trên dưới khu miền vùng trong theo tới khắp ngoài với thủ""".split()
)
_ADMIN_ACRONYMS = frozenset(
    """ubnd hđnd ub tp tx ttxvn mttq ca tand vksnd vks bch btv ttđt đbqh qđnd vn gd đt gdđt xh tbxh lđ
    mt tn ptnt nn dl vh tt kh cn gtvt tttt csgt pccc bhxh ktxh kt yt sở dt""".split()
)
# Words before a place that make it where a person lives or a vehicle is registered.
# "sinh năm 1991, ở thành phố Tuyên Quang", "(SN 1989, TP. Hồ Chí Minh)", "chị Anh (ở huyện Sóc Sơn, Hà Nội)".
_RESIDENCE = re.compile(r"(?:trú|ngụ|quê|đến từ|biển số|biển kiểm soát|bks|bksx|sinh ra|xuất thân|có địa chỉ"
                        r"|sinh năm\s*\d{4}|(?<!\w)sn\s*\d{4}|\(\s*ở\s)[^.;!?]{0,40}$",
                        re.IGNORECASE)
_RESIDENCE_FACTOR = 0.3
_SAME_PLACE_SPAN = 40
_WINDOW_BEFORE = 48
_WINDOW_AFTER = 128
_ADDRESS_BONUS = 1.25
_TITLE_DOMINANCE = 1.5
_ENUMERATION_SPAN = 80
_ENUMERATION_FACTOR = 0.3
_ROUTE_JOIN = re.compile(r"[ \t\u00a0]*[-–—][ \t\u00a0]*")
# Words that make "A – B" a route or a border, or a line named after its ends.
_LINE_BEFORE = re.compile(r"(?:đường dây|\bkV|cáp quang|tuyến cáp|đường ống)[\s(]*$", re.IGNORECASE)
_ROUTE_BEFORE = re.compile(r"(?:tuyến|chặng|hành trình|chuyến(?: xe| bay| tàu)?|giáp ranh|giáp|ranh giới|biên giới"
                           r"|cung đường|liên tỉnh)(?:\s+(?:khách|cố định|đường bộ|giữa))?[\s(]*$", re.IGNORECASE)
_PLURAL_BEFORE_TINH = frozenset(
    "các những nhiều mỗi mọi hai ba bốn năm sáu bảy tám chín mười liên giữa".split()
)
_WARD_QUALIFIERS = {("xã",), ("phường",), ("thị", "trấn"), ("ấp",), ("thôn",), ("bản",), ("xóm",),
                    ("khu", "phố"), ("tổ", "dân", "phố"), ("đường",), ("phố",), ("ngõ",), ("hẻm",),
                    ("quốc", "lộ"), ("tỉnh", "lộ"), ("cao", "tốc"), ("đại", "lộ"), ("p",), ("x",)}
_QUALIFIERS = {
    ("tỉnh",): "tỉnh",
    ("thành", "phố"): "thành phố",
    ("tp",): "thành phố",
    ("huyện",): "Huyện",
    ("h",): "Huyện",
    ("quận",): "Quận",
    ("q",): "Quận",
    ("thị", "xã"): "Thị xã",
    ("tx",): "Thị xã",
}
_ABBREVIATIONS = frozenset({"tp", "tx", "q", "h", "p", "x"})
_LOCAL_WORDS = {("tỉnh",), ("thành", "phố"), ("tp",)}
_TWO_WORD_STARTS = {q[0] for q in list(_QUALIFIERS) + list(_WARD_QUALIFIERS) if len(q) > 1}


class _Tokens:
    """Words of a text with their offsets, lower-cased and tone-normalised once."""

    __slots__ = ("text", "spans", "norm")

    def __init__(self, text: str):
        self.text = text
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters grow when lower-cased; keep offsets exact
            lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
        toned = normalize_tones(lowered)  # one tone convention, as the gazetteer's keys
        if len(toned) == len(lowered):  # offsets stay exact
            lowered = toned
        self.spans = []
        self.norm = []
        for match in _WORD.finditer(lowered):
            self.spans.append(match.span())
            self.norm.append(match.group())

    def word(self, i: int) -> str:
        start, end = self.spans[i]
        return self.text[start:end]

    def gap(self, i: int) -> str:
        """The characters between word i-1 and word i."""
        return self.text[self.spans[i - 1][1]:self.spans[i][0]] if i > 0 else "\n"

    def capitalised(self, i: int) -> bool:
        first = self.text[self.spans[i][0]]
        return first.isupper() or first.isdigit()


def _phrase_fits(tokens: _Tokens, start: int, length: int, separator: re.Pattern) -> bool:
    return all(separator.fullmatch(tokens.gap(k)) for k in range(start + 1, start + length))


def _first_words(table: dict) -> dict[str, int]:
    starts: dict[str, int] = {}
    for key in table:
        starts[key[0]] = max(starts.get(key[0], 0), len(key))
    return starts


def _lookup(tokens: _Tokens, i: int, table: dict, separator: re.Pattern = _INNER_SEPARATOR):
    """The longest name of ``table`` starting at word i: (length, value) or None."""
    max_len = gazetteer().starts[id(table)].get(tokens.norm[i])
    if not max_len:
        return None
    n_words = len(tokens.norm)
    for length in range(min(max_len, n_words - i), 0, -1):
        value = table.get(tuple(tokens.norm[i:i + length]))
        if value is not None and _phrase_fits(tokens, i, length, separator):
            return length, value
    return None


def _match_qualifier(tokens: _Tokens, i: int, table: dict) -> int:
    norm = tokens.norm
    if norm[i] in _TWO_WORD_STARTS and i + 1 < len(norm):
        if (norm[i], norm[i + 1]) in table and _PHRASE_SEPARATOR.fullmatch(tokens.gap(i + 1)):
            return 2
    if (norm[i],) in table:
        return 1
    return 0


def _is_part_of_longer_name(tokens: _Tokens, i: int, length: int) -> bool:
    if i > 0 and _PHRASE_SEPARATOR.fullmatch(tokens.gap(i)):
        previous = tokens.word(i - 1)
        if tokens.norm[i - 1] in _BLOCKING_PREVIOUS:
            return True
        if (previous[0].isupper() and not previous.isupper()
                and tokens.norm[i - 1] not in _ALLOWED_CAPITALISED_PREVIOUS):
            return True
        # "HA Gia Lai", "SHB Đà Nẵng": a brand or club acronym, unlike "UBND Hà Nội".
        if len(previous) > 1 and previous.isupper() and tokens.norm[i - 1] not in _ADMIN_ACRONYMS:
            return True
    end = i + length
    if end < len(tokens.norm) and _PHRASE_SEPARATOR.fullmatch(tokens.gap(end)):
        following = tokens.word(end)
        if following[0].isupper() and not following.isupper():
            return True
    return False


def _names_an_organisation(tokens: _Tokens, i: int) -> bool:
    """The name at word i follows a facility, school or team word: "thủy điện Hòa Bình", "CLB Hà Nội"."""
    if i == 0:
        return False
    if _CLUB_BEFORE.search(tokens.text[max(0, tokens.spans[i][0] - 16):tokens.spans[i][0]]):
        return True
    return tokens.norm[i - 1] in _ORGANISATION_PREVIOUS and bool(_PHRASE_SEPARATOR.fullmatch(tokens.gap(i)))


def _district_province(types: dict[str, set[str]], qualifier: str) -> str | None:
    if qualifier == "thành phố":
        owners = types.get("Thành phố", set()) | types.get("Thị xã", set())
    else:
        owners = types.get(qualifier, set())
    if len(owners) == 1:
        return next(iter(owners))
    every = set().union(*types.values())
    return next(iter(every)) if len(every) == 1 else None


def scan_evidence(title: str, text: str) -> tuple[list[Evidence], int]:
    """Place evidence in a title and the start of a text, and a count of local references.

    Local references are "tỉnh" / "thành phố" without a name ("của tỉnh", "Tỉnh ủy"):
    they say the article is local without saying where. Only windows around candidate
    words (a capitalised first word of a name, a qualifier) are tokenised.
    """
    gaz = gazetteer()
    title = title or ""
    text = text[:SCAN_LIMIT] if text else ""
    title_evidence: list[Evidence] = []
    local = _scan_window(title, 0, "title", gaz, title_evidence)
    text_evidence: list[Evidence] = []
    for start, end in _candidate_windows(text, gaz.candidates):
        local += _scan_window(text[start:end], start, "text", gaz, text_evidence)
    title_evidence = _weigh_in_context(title_evidence, title)
    title_evidence = [Evidence(item.province, item.weight, item.zone, item.kind, item.start, item.end, "dateline")
                      if not item.context and _TITLE_DATELINE.fullmatch(title, 0, item.start)
                      and _TITLE_DATELINE_END.match(title, item.end) else item for item in title_evidence]
    evidence = title_evidence + _weigh_in_context(text_evidence, text)
    return _mark_teams(_drop_foreign_homonyms(evidence, title, text), title, text), local


# A football story names clubs by their province ("Long An – Hải Phòng", "Hải Phòng thắng Hà Nội"):
# there a bare name is a team unless a qualifier ("tỉnh", "TP.") or a unit of ours makes it a place.
_FOOTBALL = re.compile(r"V-?League|đội bóng|bàn thắng|ghi bàn|thủ môn|tiền đạo|hậu vệ|tiền vệ|HLV|huấn luyện viên"
                       r"|sân nhà|vòng \d+|lượt trận|trận đấu|hạng Nhất|Cúp Quốc gia|CĐV|cổ động viên", re.IGNORECASE)
_FOOTBALL_CUES = 2


def _mark_teams(evidence: list[Evidence], title: str, text: str) -> list[Evidence]:
    if not any(item.kind == "province" for item in evidence):
        return evidence
    cues = {match.group().lower() for source in (title, text[:SCAN_LIMIT]) for match in _FOOTBALL.finditer(source)}
    if len(cues) < _FOOTBALL_CUES:
        return evidence
    return [Evidence(item.province, item.weight, item.zone, item.kind, item.start, item.end, "team")
            if item.kind == "province" and not item.context else item for item in evidence]


# "Hà Nội: ca sĩ … nộp thuế", "TP.HCM: …": a title opening with a place and a colon says where the story is.
_TITLE_DATELINE = re.compile(r"\s*")
_TITLE_DATELINE_END = re.compile(r"\s*:")


def _candidate_windows(text: str, candidates: frozenset[str]) -> list[tuple[int, int]]:
    """Merged character windows around candidate words, cut at whitespace."""
    windows: list[list[int]] = []
    for match in _CANDIDATE.finditer(text):
        word = match.group().lower()
        if word not in candidates and normalize_tones(word) not in candidates and " " not in word:
            continue
        start = max(0, match.start() - _WINDOW_BEFORE)
        end = min(len(text), match.start() + _WINDOW_AFTER)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    snapped = []
    for start, end in windows:
        if start > 0:
            cut = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start))
            start = cut + 1 if cut >= 0 else 0
        cut = text.find(" ", end)
        end = len(text) if cut < 0 else cut
        if snapped and start <= snapped[-1][1]:
            snapped[-1] = (snapped[-1][0], max(end, snapped[-1][1]))
        else:
            snapped.append((start, end))
    return snapped


def _scan_window(window: str, offset: int, zone: str, gaz: Gazetteer, evidence: list[Evidence]) -> int:
    """Scan one window of text, appending evidence; returns the count of local references."""
    local = 0
    tokens = _Tokens(window)
    norm = tokens.norm
    i, n_words = 0, len(norm)
    interesting = gaz.interesting
    while i < n_words:
        if norm[i] not in interesting:
            i += 1
            continue
        position = tokens.spans[i][0] + offset
        where = zone if zone == "title" else ("lead" if position < LEAD_CHARS else "body")
        qualifier_len = _match_qualifier(tokens, i, _QUALIFIERS)
        if qualifier_len and len(norm[i]) == 1 and not (
                i + 1 < n_words and "." in tokens.gap(i + 1)):
            qualifier_len = 0
        if qualifier_len:
            qualifier = _QUALIFIERS[tuple(norm[i:i + qualifier_len])]
            j = i + qualifier_len
            # Only an abbreviation takes a dot ("TP. Huế"); after "tỉnh." a sentence ends.
            separator = _QUALIFIER_SEPARATOR if norm[j - 1] in _ABBREVIATIONS else _PHRASE_SEPARATOR
            names_next = (j < n_words and bool(separator.fullmatch(tokens.gap(j))) and tokens.capitalised(j))
            found = None
            if names_next:
                found = _resolve_qualified(tokens, j, qualifier, gaz)
            if found:
                length, province, kind = found
                evidence.append(Evidence(province, _ZONE_WEIGHT[where] * _KIND_FACTOR[kind],
                                         where, kind, position, tokens.spans[j + length - 1][1] + offset))
                i = j + length
                continue
            if (norm[i:i + qualifier_len] and tuple(norm[i:i + qualifier_len]) in _LOCAL_WORDS
                    and not names_next
                    and not (i > 0 and norm[i - 1] in _PLURAL_BEFORE_TINH)
                    and not (j < n_words and norm[j] in ("thành", "tp"))):
                local += 1
            i = j
            continue
        ward_len = _match_qualifier(tokens, i, _WARD_QUALIFIERS)
        if ward_len and (len(norm[i]) > 1 or "." in tokens.gap(i + ward_len) if i + ward_len < n_words else False):
            j = i + ward_len
            while (j < n_words and j < i + ward_len + 4 and tokens.capitalised(j)
                   and _QUALIFIER_SEPARATOR.fullmatch(tokens.gap(j))):
                j += 1
            i = j
            continue
        found = _lookup(tokens, i, gaz.bare)
        if found is None:
            i += 1
            continue
        length, entry = found
        if entry.kind in ("stop", "needs_qualifier"):
            i += length
            continue
        if entry.kind == "weak":
            evidence.append(Evidence(entry.province, _ZONE_WEIGHT[where] * _KIND_FACTOR["weak"],
                                     where, "weak", position, tokens.spans[i + length - 1][1] + offset))
            i += length
            continue
        if all(tokens.capitalised(k) for k in range(i, i + length)) and not _is_part_of_longer_name(
                tokens, i, length):
            evidence.append(Evidence(entry.province, _ZONE_WEIGHT[where] * _KIND_FACTOR[entry.kind],
                                     where, entry.kind, position, tokens.spans[i + length - 1][1] + offset,
                                     "organisation" if _names_an_organisation(tokens, i) else ""))
        i += length
    return local


def _weigh_in_context(evidence: list[Evidence], text: str) -> list[Evidence]:
    """One address is one place ("huyện Kim Thành, tỉnh Hải Dương"); a residence, a licence
    plate or a list of several provinces says little about what the article is about."""
    merged: list[Evidence] = []
    for item in evidence:
        if _is_foreign(item, text):
            merged.append(Evidence(item.province, 0.0, item.zone, item.kind, item.start, item.end, "foreign"))
            continue
        previous = merged[-1] if merged else None
        if (previous and not previous.context and previous.province == item.province
                and item.start - previous.start <= _SAME_PLACE_SPAN):
            # A unit and its province named together is a full address: the most explicit evidence.
            weight = max(item.weight, previous.weight)
            kind = previous.kind
            if item.kind != previous.kind:
                weight *= _ADDRESS_BONUS
                kind = "address"
            merged[-1] = Evidence(item.province, weight, item.zone, kind, previous.start, item.end)
            continue
        merged.append(item)
    # A route or a border between two places ("tuyến Sơn La – Thái Nguyên", "giáp ranh Nghệ An - Thanh
    # Hóa") names both as places the story goes through, not as items of a list.
    # A power line or a pipe named after its two ends ("đường dây 500 kV Đà Nẵng - Hà Tĩnh") is a facility.
    route, line = set(), set()
    for k in range(1, len(merged)):
        if (merged[k - 1].province != merged[k].province
                and _ROUTE_JOIN.fullmatch(text, merged[k - 1].end, merged[k].start)):
            before = (text, max(0, merged[k - 1].start - 30), merged[k - 1].start)
            if _LINE_BEFORE.search(*before):
                line.update((k - 1, k))
            elif _ROUTE_BEFORE.search(*before):
                route.update((k - 1, k))
    merged = [Evidence(item.province, item.weight, item.zone, item.kind, item.start, item.end, "organisation")
              if k in line and not item.context else item for k, item in enumerate(merged)]
    weighed = []
    for k, item in enumerate(merged):
        if item.context:
            weighed.append(item)
            continue
        factor, context = 1.0, ""
        nearby = {other.province for other in merged
                  if abs(other.start - item.start) <= _ENUMERATION_SPAN and other.context != "organisation"}
        if len(nearby) >= 3 and k not in route:
            factor, context = factor * _ENUMERATION_FACTOR, "enumeration"
        if _RESIDENCE.search(text[max(0, item.start - 45):item.start]):
            factor, context = factor * _RESIDENCE_FACTOR, "residence"
        weighed.append(Evidence(item.province, item.weight * factor, item.zone, item.kind, item.start, item.end,
                                context))
    return weighed


_FOREIGN_COUNTRIES = r"(?:Trung Quốc|Đài Loan|Hàn Quốc|Triều Tiên|Nhật Bản)"
# "tỉnh Hà Nam, Trung Quốc", "Hà Nam (Trung Quốc)", "Hà Nam của Trung Quốc", "Thái Nguyên, tỉnh Sơn Tây,
# Trung Quốc", "Hà Nam, miền trung Trung Quốc": the name is placed in another country.
_FOREIGN_AFTER = re.compile(
    r"\s*(?:,|\(|-|–|của|thuộc)\s*(?:(?:tỉnh|thành phố|TP\.?)\s+[^\n,.;()]{1,20},\s*)?"
    r"(?:(?:ở\s+)?(?:miền|vùng|phía|khu vực)\s+\w+\s+)?(?:nước\s+)?" + _FOREIGN_COUNTRIES)
# Names of Chinese provinces and cities written in Vietnamese, and provinces of ours that share a name
# with one of them (Henan, Taiyuan, Laizhou, Haiyang, Taiping, Long'an).
_CHINESE_PLACES = re.compile(
    r"\b(?:Bắc Kinh|Thượng Hải|Thiên Tân|Trùng Khánh|Quảng Đông|Quảng Tây|Phúc Kiến|Chiết Giang|Giang Tô|"
    r"An Huy|Sơn Đông|Hồ Bắc|Hồ Nam|Hà Bắc|Giang Tây|Tứ Xuyên|Vân Nam|Quý Châu|Thiểm Tây|Cam Túc|Thanh Hải|"
    r"Liêu Ninh|Cát Lâm|Hắc Long Giang|Nội Mông|Tân Cương|Tây Tạng|Ninh Hạ|Hải Nam|Hồng Kông|Trịnh Châu|"
    r"Lạc Dương|Khai Phong|An Dương|Tín Dương|Hứa Xương|Tế Nguyên|Đăng Phong|Thiếu Lâm|Nam Dương|Tân Hương)\b")
_FOREIGN_HOMONYMS = frozenset({"Hà Nam", "Thái Nguyên", "Lai Châu", "Hải Dương", "Thái Bình", "Long An"})
_CHINESE_NEIGHBOUR_SPAN = 40
# An article set in China naming "Hà Nam" means Henan unless a district of ours anchors it.
_CHINA = re.compile(r"Trung Quốc|\bTQ\b")
_HENAN = "Hà Nam"
_ANCHORS = ("district", "town", "address")  # evidence of a unit of ours inside the province


def _is_foreign(item: Evidence, text: str) -> bool:
    """The name is placed in another country right after it, or, for a homonym, beside Chinese places."""
    if _FOREIGN_AFTER.match(text, item.end, item.end + 60):
        return True
    if item.province in _FOREIGN_HOMONYMS and item.kind not in _ANCHORS:
        around = text[max(0, item.start - _CHINESE_NEIGHBOUR_SPAN):item.end + _CHINESE_NEIGHBOUR_SPAN]
        return bool(_CHINESE_PLACES.search(around))
    return False


def _drop_foreign_homonyms(evidence: list[Evidence], title: str, text: str) -> list[Evidence]:
    """In an article set in China, "Hà Nam" is Henan unless a unit of ours anchors it or it stands
    among other provinces of ours ("Thái Bình, Hà Nam, Nghệ An")."""
    anchored = any(item.province == _HENAN and item.kind in _ANCHORS and not item.context
                   for item in evidence)
    if anchored or not any(item.province == _HENAN for item in evidence):
        return evidence
    if not (_CHINA.search(title) or _CHINA.search(text)):
        return evidence

    def among_ours(item: Evidence) -> bool:
        return any(other.province != _HENAN and other.context != "foreign" and other.zone == item.zone
                   and abs(other.start - item.start) <= _CHINESE_NEIGHBOUR_SPAN for other in evidence)

    return [Evidence(item.province, 0.0, item.zone, item.kind, item.start, item.end, "foreign")
            if item.province == _HENAN and not among_ours(item) else item for item in evidence]


def _resolve_qualified(tokens: _Tokens, j: int, qualifier: str, gaz: Gazetteer):
    """After "tỉnh", "TP.", "huyện" …: (words used, province, evidence kind) or None."""
    if qualifier in ("tỉnh", "thành phố"):
        found = _lookup(tokens, j, gaz.province_names)
        if found:
            length, province = found
            return length, province, "qualified"
        if qualifier == "tỉnh":
            return None
    found = _lookup(tokens, j, gaz.districts)
    if found:
        length, types = found
        province = _district_province(types, qualifier)
        if province:
            return length, province, "district"
    return None


def score_provinces(evidence: list[Evidence], outlet: str | None = None) -> dict[str, float]:
    scores: dict[str, float] = defaultdict(float)
    body: dict[str, float] = defaultdict(float)
    for item in evidence:
        if item.context == "foreign":
            continue
        if item.zone == "body":
            body[item.province] += item.weight
        else:
            scores[item.province] += item.weight
    for province, weight in body.items():
        scores[province] += min(weight, _BODY_CAP)
    if outlet:
        scores[outlet] += _OUTLET_WEIGHT
    return dict(scores)


def infer_province(title: str | None, text: str | None, outlet: str | None = None) -> str | None:
    """The province an article is about (or, for a provincial outlet, published by), or None."""
    evidence, local = scan_evidence(title or "", text or "")
    return _main_province(evidence, local, outlet)


def _main_province(evidence: list[Evidence], local: int, outlet: str | None) -> str | None:
    evidence = [item for item in evidence if item.context != "foreign"]
    scores = score_provinces(evidence, outlet)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, best_score = ranked[0]
    second_score = ranked[1][1] if len(ranked) > 1 else 0.0
    if outlet and best == outlet:
        return best
    # The title's own dateline ("Hà Nội: …") names the main province unless another one outweighs it.
    for item in evidence:
        if item.context == "dateline" and scores.get(item.province, 0.0) >= best_score:
            return item.province
    # A long list of provinces ("13 tỉnh thành đầu tiên: Sơn La, Lai Châu, …") is background, not
    # competitors: those named only in such lists are left out when they are many.
    listed_only = {item.province for item in evidence} - {
        item.province for item in evidence if item.context != "enumeration"}
    ignored = listed_only if len(listed_only) >= _NATIONWIDE_LIST else set()
    others = sum(score for province, score in ranked[1:] if province not in ignored)
    # A facility in the title ("thủy điện Hòa Bình") still competes but does not share the title.
    in_title = {item.province for item in evidence if item.zone == "title" and item.context != "organisation"}
    dominance = _TITLE_DOMINANCE if in_title == {best} else _DOMINANCE
    # An article states its subject in the title or lead; body-only mentions are often incidental
    # (a person's hometown, a past event), so they need to be many.
    upfront = any(item.province == best and item.zone != "body" for item in evidence)
    needed = _MIN_SCORE if upfront else _MIN_BODY_ONLY_SCORE
    if best_score >= needed and best_score >= dominance * second_score and best_score >= others:
        return best
    # A province named up front that weighs three times any other is main even when the many others
    # together outweigh it (the host of a regional programme, each partner named a few times).
    if best_score >= needed and best_score >= _WIDE_DOMINANCE * second_score and upfront:
        return best
    # The title names one province and no other, the text confirms it, and nothing outweighs it (a
    # tie goes to the title): the story is about it even when the body goes on to several other places
    # ("Bão số 8 hướng vào Quảng Bình" passing Huế and Quảng Trị). A title alone is not enough ("giá vàng
    # tại Hà Nội" with TP.HCM in the lead is a national story).
    if len(in_title) == 1:
        named = next(iter(in_title))
        confirmed = sum(item.weight for item in evidence if item.province == named and item.zone != "title")
        if scores[named] >= best_score and confirmed >= _MIN_SCORE:
            return named
    # A local article ("của tỉnh", "Tỉnh ủy") naming one province and no other.
    if second_score == 0.0 and local >= 3 and best_score >= 1.0:
        return best
    return None


# "HÀ NỘI - ", "(Dân trí) - Quảng Nam:", "TP.HCM – ": a dateline names where the story was filed.
_DATELINE = re.compile(r"\s*(?:\([^()\n]{1,40}\)\s*[-–—:]?\s*)?([^\n.!?()]{2,40}?)\s*(?:[-–—]+|:)\s")
_ENUMERATED_MENTION = 1.0
_LIST_MENTIONS = 2.0  # "a place in the body more than once"
_LIST_MENTIONS_NATIONAL = 3.0


def dateline_end(text: str) -> int:
    """Where the dateline of a text ends (0 when there is none)."""
    match = _DATELINE.match(text or "")
    return match.end(1) if match and len(match.group(1).split()) <= 5 else 0


def named_provinces(evidence: list[Evidence], text: str, main: str | None = None) -> dict[str, float]:
    """Every province the evidence names as a place the article is about, with its score: in the
    title or the dateline, or more than once in the body. A residence, a plate, an organisation's
    name ("ĐHQG Hà Nội", "đường dây 500 kV Đà Nẵng - Hà Tĩnh") or a foreign homonym is no such
    evidence; a list of provinces names each of them as a place (it weighs less for the main one)."""
    dateline = dateline_end(text)
    mentions: dict[str, float] = defaultdict(float)
    upfront: set[str] = set()
    for item in evidence:
        if item.kind == "weak" or item.context in ("foreign", "residence", "organisation", "team"):
            continue
        if item.zone == "title" or (item.zone != "title" and item.start < dateline):
            upfront.add(item.province)
        else:
            mentions[item.province] += _ENUMERATED_MENTION if item.context == "enumeration" else 1.0
    # Without a main province (a national story), a place named in passing needs more mentions.
    needed = _LIST_MENTIONS if main else _LIST_MENTIONS_NATIONAL
    named = upfront | {province for province, count in mentions.items() if count >= needed}
    scores = score_provinces([item for item in evidence if item.context != "foreign"])
    return {province: scores.get(province, 0.0) for province in named}


def infer_provinces(title: str | None, text: str | None, outlet: str | None = None) -> list[str]:
    """Every province an article is about, the main one (`infer_province`) first; [] when none."""
    return infer_places(title, text, outlet)[1]


def infer_places(title: str | None, text: str | None, outlet: str | None = None,
                 given: str | None = None) -> tuple[str | None, list[str]]:
    """(the main province, every province the article is about): the main one is `given` or as
    `infer_province` decides, and first in the list. Without a main province the list is empty
    (articles.Article: `[province]` or longer): a story naming places but about none of them is national."""
    title, text = title or "", text or ""
    evidence, local = scan_evidence(title, text)
    main = given or _main_province(evidence, local, outlet)
    if not main:
        return None, []
    named = named_provinces(evidence, text[:SCAN_LIMIT], main)
    first = {}
    for item in evidence:
        first.setdefault(item.province, (item.zone != "title", item.start))
    others = sorted((p for p in named if p != main), key=lambda p: (-round(named[p], 6), first[p]))
    return main, ([main] if main else []) + others


def provinces_63() -> tuple[str, ...]:
    return gazetteer().provinces_63


def provinces_34() -> tuple[str, ...]:
    return gazetteer().provinces_34

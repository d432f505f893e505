"""Bad input files (SPEC §3): each is skipped with one clear warning naming it (and its line)
and why, or read correctly; the rest is indexed; the summary, report.json and `stats` count them."""
from __future__ import annotations

import gzip
import json
import re
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

import manage
from search import open_index, rebuild
from search.store.container import CURRENT, REPORT
from search.ingest.readers import decode, vietnamese_share
from search.requests import SearchRequest

BODY = ("Ủy ban nhân dân tỉnh đã tổ chức hội nghị tổng kết công tác năm với sự tham dự của đông đảo "
        "đại biểu. Hội nghị đánh giá cao kết quả đạt được và đề ra nhiệm vụ cho năm tới.")
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tone marks combining."""
    out = []
    for char in text:
        try:
            char.encode("cp1258")
            out.append(char)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tone = "".join(c for c in parts if c in TONE_MARKS)
            out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS)) + tone)
    return "".join(out).encode("cp1258")


def page(title: str, body: str = BODY) -> str:
    """A .txt article as pasted from a web page: a headline, then paragraphs."""
    return f"{title}\n\n{body}\n\n{body}\n"


def record(article_id: str, title: str, text: str = BODY, **more) -> dict:
    return {"id": article_id, "title": title, "text": f"{title}. {text}", **more}


def jsonl(*records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" if isinstance(r, dict) else r + "\n" for r in records)


# item (file, line or element) -> a word of the reason it must give
EXPECTED_SKIPS = {
    "binary.txt": "nhị phân",
    "binary_no_nul.json": "nhị phân",
    "empty.txt": "rỗng",
    "whitespace.txt": "khoảng trắng",
    "truncated.jsonl.gz": "cắt cụt",
    "mixed.jsonl#L2": "JSON không hợp lệ",
    "mixed.jsonl#L4 (id m-nothing)": "không có tiêu đề và nội dung",
    "mixed.jsonl#L5": "không phải một đối tượng JSON",
    "notext.json (id blank)": "không có tiêu đề và nội dung",
    "deep_array.json": "lồng nhau quá sâu",
    "deep_object.json": "lồng nhau quá sâu",
    "deep_lines.jsonl#L1": "lồng nhau quá sâu",
    "array.json#1": "không phải một đối tượng JSON",
    "array.json#2 (id arr-nothing)": "không có tiêu đề và nội dung",
    "array.json#5": "không phải một đối tượng JSON",
}

# id -> (title as it must be stored, a word to search it by)
EXPECTED_ARTICLES = {
    "good.txt": ("Khai mạc Đại hội đảng viên Đảng bộ Sở Tư pháp", "tư pháp"),
    "cp1258.txt": ("Người dân Quảng Ninh đón Tết ấm áp", "quảng ninh"),
    "cp1258_short.txt": ("Bão số 3 gây mưa lớn ở Nghệ An", "nghệ an"),
    "utf16.txt": ("Hội chợ nông sản Đồng Tháp thu hút khách", "đồng tháp"),
    "utf16be_bom.txt": ("Lễ hội hoa ban Điện Biên năm nay", "điện biên"),
    "utf16le_no_bom.txt": ("Trường học ở Cà Mau đón học sinh trở lại", "cà mau"),
    "nfd.txt": ("Hòa bình và hữu nghị giữa Việt Nam và Lào", "hữu nghị"),
    "broken.html": ("Tin hỏng thẻ về giao thông Hà Giang", "hà giang"),
    "m1": ("Mưa đá tại Lào Cai", "lào cai"),
    "m3": ("Giá lúa tăng ở Sóc Trăng", "sóc trăng"),
    "dl": ("Dòng sau dòng lồng sâu vẫn được đọc ở Kon Tum", "kon tum"),
    "arr-1": ("Cầu mới ở Vĩnh Long thông xe", "vĩnh long"),
    "arr-3": ("Hợp tác xã ở Bến Tre phát triển", "bến tre"),
    # A headline without a body (a photo or video item) is an article, found by its title.
    "m-headline": ("Chùm ảnh lũ dâng ở Quảng Trị", "quảng trị"),
    "only-title": ("Tiêu đề thôi về Yên Bái", "yên bái"),
    "arr-headline": ("Video cháy chợ ở Hải Dương", "hải dương"),
    "noise-only": ("Cà phê Buôn Ma Thuột vào mùa thu hoạch", "buôn ma thuột"),
    # A one-line text without a title keeps its line as its text (it also becomes the title).
    "one-line": ("Chủ đề : AI LÀ ÔNG TỔ NGHỀ GỐM BÁT TRÀNG ? ( Đọc 816 lần )", "bát tràng"),
}
GZIP_LINES_BEFORE_CUT = 40


def write_bad_source(source: Path) -> None:
    source.mkdir(parents=True, exist_ok=True)
    for article_id, (title, _) in EXPECTED_ARTICLES.items():
        if article_id == "good.txt":
            (source / article_id).write_text(page(title), encoding="utf-8")
    (source / "cp1258.txt").write_bytes(cp1258_bytes(page("Người dân Quảng Ninh đón Tết ấm áp")))
    # Short text is where charset detection guesses wrong (Big5, Windows-1250…) for Vietnamese.
    (source / "cp1258_short.txt").write_bytes(cp1258_bytes(
        "Bão số 3 gây mưa lớn ở Nghệ An\n\nMưa lớn kéo dài, nhiều nhà bị ngập sâu.\n"))
    (source / "utf16.txt").write_bytes(page("Hội chợ nông sản Đồng Tháp thu hút khách").encode("utf-16"))
    (source / "utf16be_bom.txt").write_bytes(
        b"\xfe\xff" + page("Lễ hội hoa ban Điện Biên năm nay").encode("utf-16-be"))
    (source / "utf16le_no_bom.txt").write_bytes(
        page("Trường học ở Cà Mau đón học sinh trở lại").encode("utf-16-le"))
    (source / "nfd.txt").write_text(
        unicodedata.normalize("NFD", page("Hòa bình và hữu nghị giữa Việt Nam và Lào")), encoding="utf-8")
    (source / "broken.html").write_text(
        "<html><head><title>Tin hỏng thẻ về giao thông Hà Giang</title><body><article>"
        "<h1>Tin hỏng thẻ về giao thông Hà Giang<p>Đường lên cao nguyên đá <b>sạt lở <i>nhiều đoạn</p>"
        f"<div><p>{BODY}<p>{BODY}</td></span></html>", encoding="utf-8")

    (source / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (source / "binary_no_nul.json").write_bytes(bytes(range(1, 32)) * 200)
    (source / "empty.txt").write_bytes(b"")
    (source / "whitespace.txt").write_bytes(b" \n\t\r\n   \n")
    lines = jsonl(*(record(f"gz-{i}", f"Bài số {i} trong tệp nén") for i in range(200)))
    compressed = gzip.compress(lines.encode("utf-8"))
    (source / "truncated.jsonl.gz").write_bytes(compressed[: len(compressed) * GZIP_LINES_BEFORE_CUT // 200])
    (source / "mixed.jsonl").write_text(jsonl(
        record("m1", "Mưa đá tại Lào Cai"),
        '{"id": "m-bad", "title": "thiếu ngoặc"',
        "",
        {"id": "m-nothing", "title": "  ", "text": "Chia sẻ\nIn bài"},
        '["một mảng", "không phải bài viết"]',
        record("m3", "Giá lúa tăng ở Sóc Trăng"),
    ), encoding="utf-8")
    (source / "notext.json").write_text(json.dumps({"id": "blank", "title": "", "text": "  "}), encoding="utf-8")
    (source / "headlines.jsonl").write_text(jsonl(
        {"id": "m-headline", "title": "Chùm ảnh lũ dâng ở Quảng Trị"},
        {"id": "only-title", "title": "Tiêu đề thôi về Yên Bái", "text": "  "},
        {"id": "noise-only", "title": "Cà phê Buôn Ma Thuột vào mùa thu hoạch",
         "text": "Lưu bài viết thành công Bạn có thể xem lại bài viết đã lưu ở trangTin bài đã lưu"},
        {"id": "one-line", "title": "", "text": "Chủ đề : AI LÀ ÔNG TỔ NGHỀ GỐM BÁT TRÀNG ? ( Đọc 816 lần )"},
    ), encoding="utf-8")
    (source / "deep_array.json").write_text("[" * 100_000 + "]" * 100_000)
    (source / "deep_object.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    (source / "deep_lines.jsonl").write_text(
        "[" * 100_000 + "]" * 100_000 + "\n" + jsonl(record("dl", "Dòng sau dòng lồng sâu vẫn được đọc ở Kon Tum")),
        encoding="utf-8")
    (source / "array.json").write_text(json.dumps([
        record("arr-1", "Cầu mới ở Vĩnh Long thông xe"), 5, {"id": "arr-nothing"},
        {"id": "arr-headline", "title": "Video cháy chợ ở Hải Dương"},
        record("arr-3", "Hợp tác xã ở Bến Tre phát triển"), None,
    ], ensure_ascii=False), encoding="utf-8")
    (source / "deep.html").write_text("<div>" * 100_000 + f"<p>{BODY}</p>" + "</div>" * 100_000)


@pytest.fixture(scope="module")
def bad_source(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("bad-source")
    write_bad_source(source)
    return source


@pytest.fixture(scope="module")
def built(bad_source, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("bad-index")
    summary = rebuild(bad_source, index_dir)
    return summary, index_dir


def skipped_reasons(summary) -> dict[str, str]:
    return {s.item: s.reason for s in summary.skipped}


def test_every_bad_item_is_skipped_once_with_its_reason(built):
    summary, _ = built
    reasons = skipped_reasons(summary)
    items = [s.item for s in summary.skipped]
    assert len(items) == len(set(items)), "an item was warned about twice"
    deep_html = [i for i in items if i.startswith("deep.html")]
    assert len(deep_html) <= 1
    assert set(items) - set(deep_html) == set(EXPECTED_SKIPS)
    for item, word in EXPECTED_SKIPS.items():
        assert word in reasons[item], (item, reasons[item])


def test_the_rest_is_indexed_and_counted(built):
    summary, index_dir = built
    index = open_index(index_dir)
    gz_lines = [i for i in range(200) if _has(index, f"gz-{i}")]
    assert gz_lines == list(range(len(gz_lines))) and 0 < len(gz_lines) < 200  # lines before the cut
    deep_html = 1 if _has(index, "deep.html") else 0
    assert summary.indexed == len(EXPECTED_ARTICLES) + len(gz_lines) + deep_html
    assert index.count() == summary.indexed


def _has(index, article_id: str) -> bool:
    try:
        index.get(article_id)
        return True
    except Exception:
        return False


@pytest.mark.parametrize("article_id", sorted(EXPECTED_ARTICLES))
def test_encodings_and_broken_markup_are_read_with_vietnamese_intact(built, article_id):
    _, index_dir = built
    index = open_index(index_dir)
    title, word = EXPECTED_ARTICLES[article_id]
    article = index.get(article_id)
    assert article.title == title
    assert unicodedata.is_normalized("NFC", article.text) and "\ufffd" not in article.text
    hits = index.search(SearchRequest(q=word, size=100)).hits
    assert article_id in [h.id for h in hits]


def test_a_headline_without_a_body_is_found_by_its_title(built):
    _, index_dir = built
    index = open_index(index_dir)
    for article_id in ("m-headline", "only-title", "arr-headline", "noise-only"):
        article = index.get(article_id)
        assert article.text == ""
        query = f"title:{EXPECTED_ARTICLES[article_id][1]}"
        assert article_id in [h.id for h in index.search(SearchRequest(q=query)).hits], article_id


def test_a_one_line_text_keeps_its_line_as_its_text(built):
    _, index_dir = built
    article = open_index(index_dir).get("one-line")
    assert article.text == article.title == EXPECTED_ARTICLES["one-line"][0]


def test_decomposed_text_searches_like_precomposed(built):
    _, index_dir = built
    index = open_index(index_dir)
    for query in ("hòa bình", unicodedata.normalize("NFD", "hòa bình"), "hoa binh"):
        assert "nfd.txt" in [h.id for h in index.search(SearchRequest(q=query)).hits], query


def test_skipped_list_is_kept_with_the_index(built):
    summary, index_dir = built
    report = json.loads((index_dir / CURRENT / REPORT).read_text(encoding="utf-8"))
    assert report["indexed"] == summary.indexed
    assert report["skipped"] == [s.to_dict() for s in summary.skipped]


def test_cli_warns_once_per_skipped_item_and_stats_lists_them(bad_source, built, tmp_path):
    summary, index_dir = built
    result = CliRunner().invoke(manage.cli, ["rebuild", "--source", str(bad_source), "--index", str(tmp_path)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.strip().splitlines() if not line.startswith("Đánh chỉ mục:")]
    assert len(warnings) == len(summary.skipped)
    for line, skipped in zip(warnings, summary.skipped):
        assert line == f"cảnh báo: bỏ qua {skipped.item}: {skipped.reason}"
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(rf"Đã đánh chỉ mục {summary.indexed} bài viết, bỏ qua {len(summary.skipped)}, trong \d+,\d giây", last)
    assert "Traceback" not in result.output

    stats = CliRunner().invoke(manage.cli, ["stats", "--index", str(tmp_path)])
    assert stats.exit_code == 0, stats.output
    assert f"Mục bị bỏ qua: {len(summary.skipped)}" in stats.stdout
    for skipped in summary.skipped:
        assert f"{skipped.item}: {skipped.reason}" in stats.stdout
    as_json = json.loads(CliRunner().invoke(manage.cli, ["stats", "--json", "--index", str(tmp_path)]).stdout)
    assert as_json["skipped"] == [s.to_dict() for s in summary.skipped]


def test_a_second_article_with_a_taken_id_is_reported_not_merged(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.json").write_text(json.dumps(record("same", "Bài thứ nhất về giáo dục"), ensure_ascii=False),
                                   encoding="utf-8")
    (source / "b.json").write_text(json.dumps(record("same", "Bài thứ hai về y tế", "Nội dung khác hẳn."),
                                              ensure_ascii=False), encoding="utf-8")
    summary = rebuild(source, tmp_path / "index")
    index = open_index(tmp_path / "index")
    assert index.get("same").title == "Bài thứ nhất về giáo dục"
    assert summary.indexed == 1 and index.count() == 1
    assert [s.item for s in summary.skipped] == ["b.json (id same)"] or [s.item for s in summary.skipped] == ["b.json"]
    assert "id" in summary.skipped[0].reason


@pytest.mark.parametrize("text", [
    "Người dân đón Tết", "Bão số 3", "Hà Nội", "Giá vàng hôm nay tăng mạnh", "có lúc khó khăn, nhưng",
    "ung thư", "bò, vó", "Zara Larsson, Kehlani và nhiều", "Thủ tướng Chính phủ", "Đà Nẵng mưa to",
])
def test_short_windows_1258_text_decodes_to_vietnamese(text):
    assert decode(cp1258_bytes(text)) == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_unicode_encodings_decode_with_or_without_bom(encoding):
    text = "Hội nghị tổng kết World Cup 2022 tại TP.HCM"
    assert decode(text.encode(encoding)) == text


@pytest.mark.parametrize("text, encoding", [
    ("Привет, как дела? Это русский текст.", "cp1251"),
    ("Grüße aus München, schöne Straße", "cp1252"),
    ("Zażółć gęślą jaźń", "cp1250"),
])
def test_other_languages_are_not_forced_into_windows_1258(text, encoding):
    assert decode(text.encode(encoding)) == text


def test_vietnamese_share_tells_vietnamese_from_mojibake():
    assert vietnamese_share("Người dân đón Tết khuya quyết nghiêng giữ") == 1.0
    assert vietnamese_share("Giá vàng hôm nay tãng maònh") < 1.0
    assert vietnamese_share("Ng鍢岥 d滱 賾n T膵t") == 0.0

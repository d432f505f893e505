"""A very long article is indexed whole, in memory that grows far slower than its text.

Peak RSS is the high-water mark (VmHWM) of a fresh child process, which also holds Python,
Whoosh and pyvi's model (about 130 MB before any text); not ru_maxrss, which a child inherits
from its parent at fork (pytest's own size late in a run). bench/bigarticle.py measures 50 MB.
"""
import json
import subprocess
import sys

import pytest

from helpers import ROOT, SAMPLES

PEAK_LIMIT_MB = 200  # 3.4 MB article: 158 MB measured (171 MB before issue 8's copies were removed)
HUGE_MB = 20
HUGE_PEAK_LIMIT_MB = 300  # 20 MB article: 234 MB measured (508 MB before); see bench/RESULTS.md
LAST_WORD = "xylophonevn"
MEASURE = ("import re, sys; from search import rebuild; indexed = rebuild(sys.argv[1], sys.argv[2]).indexed; "
           "print(indexed, int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024)")


def rebuild_peak(source, index) -> tuple[int, int]:
    """(articles indexed, peak RSS in MB) of a rebuild in a fresh process."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, source, index], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    indexed, peak_mb = map(int, proc.stdout.split())
    return indexed, peak_mb


def manage(*args) -> str:
    proc = subprocess.run([sys.executable, "manage.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow
def test_a_multi_megabyte_article_is_indexed_whole_in_bounded_memory(tmp_path):
    paragraph = (SAMPLES / "002_a7ce9007b7fbc9d3.txt").read_text(encoding="utf-8")
    body = "\n".join([paragraph] * 400)  # about 3.4 MB, 700k syllables
    source = tmp_path / "src"
    source.mkdir()
    (source / "long.json").write_text(json.dumps(
        {"id": "long", "title": "Bài viết rất dài", "text": body + f"\nTừ cuối cùng: {LAST_WORD}."},
        ensure_ascii=False), encoding="utf-8")
    indexed, peak_mb = rebuild_peak(source, tmp_path / "index")
    assert indexed == 1
    assert peak_mb < PEAK_LIMIT_MB, f"rebuild peaked at {peak_mb} MB"
    assert json.loads(manage("search", LAST_WORD, "--json", "--index", tmp_path / "index"))["total"] == 1


def huge_text(size_mb: int) -> str:
    """Distinct paragraphs (numbered repeats of the samples' paragraphs) up to `size_mb` MB of UTF-8."""
    seeds = [line.strip() for path in sorted(SAMPLES.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 80]
    parts, size = [], 0
    while size < size_mb * 1_000_000:
        parts.append(f"Đoạn {len(parts) + 1}: {seeds[len(parts) % len(seeds)]}")
        size += len(parts[-1].encode("utf-8")) + 1
    parts.append(f"Từ cuối cùng của bài: {LAST_WORD}.")
    return "\n".join(parts)


@pytest.mark.slow
def test_a_twenty_megabyte_page_is_indexed_whole_in_bounded_memory(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    text = f"Bài viết rất dài về chuyển đổi số ở Phú Thọ\n\n{huge_text(HUGE_MB)}\n"
    (source / "huge.txt").write_text(text, encoding="utf-8")
    indexed, peak_mb = rebuild_peak(source, tmp_path / "index")
    assert indexed == 1
    assert peak_mb < HUGE_PEAK_LIMIT_MB, f"rebuild of a {HUGE_MB} MB article peaked at {peak_mb} MB"
    assert json.loads(manage("search", LAST_WORD, "--json", "--index", tmp_path / "index"))["total"] == 1
    shown = json.loads(manage("show", "huge.txt", "--json", "--index", tmp_path / "index"))
    assert shown["text"].endswith(f"{LAST_WORD}.") and len(shown["text"]) > 0.95 * len(text)

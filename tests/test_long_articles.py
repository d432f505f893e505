"""A very long article is indexed whole, in time and memory proportional to a small batch."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLES

PEAK_LIMIT_MB = 450


@pytest.mark.slow
def test_a_multi_megabyte_article_is_indexed_whole_in_bounded_memory(tmp_path):
    paragraph = (SAMPLES / "002_a7ce9007b7fbc9d3.txt").read_text(encoding="utf-8")
    body = "\n".join([paragraph] * 400)  # about 3.4 MB, 700k syllables
    source = tmp_path / "src"
    source.mkdir()
    (source / "long.json").write_text(json.dumps(
        {"id": "long", "title": "Bài viết rất dài", "text": body + "\nTừ cuối cùng: xylophonevn."},
        ensure_ascii=False), encoding="utf-8")
    index = tmp_path / "index"
    measure = ("import resource, sys; from search import rebuild; "
               "print(rebuild(sys.argv[1], sys.argv[2]).indexed, "
               "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    proc = subprocess.run([sys.executable, "-c", measure, source, index], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    indexed, peak_mb = map(int, proc.stdout.split())
    assert indexed == 1
    assert peak_mb < PEAK_LIMIT_MB, f"rebuild peaked at {peak_mb} MB"
    found = subprocess.run([sys.executable, "manage.py", "search", "xylophonevn", "--json", "--index", index],
                           cwd=ROOT, capture_output=True, text=True)
    assert json.loads(found.stdout)["total"] == 1

"""One huge article, indexed whole: peak RSS and time of `manage.py rebuild` (issue 8).

Builds an article of about SIZE MB by repeating the bundled sample articles' paragraphs,
each made distinct by a numbered lead-in, with a unique word at its very end; writes it as a
.txt file and as a .json record; for each, runs `manage.py rebuild` in a child process and
reads its peak RSS (its VmHWM at exit), then checks that `search WORD --json` finds the
article and `show ID --json` returns the whole text.

    .venv/bin/python bench/bigarticle.py --sizes 5 20 50 [--formats txt json] [--write]

`--write` rewrites the "Huge articles" section of bench/RESULTS.md with the figures.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "index_data" / "articles"
LAST_WORD = "xylophonevn"
TITLE = "Bài viết rất dài về công tác chuyển đổi số của tỉnh Phú Thọ"
MB = 1_000_000


def paragraphs() -> list[str]:
    found = []
    for path in sorted(SAMPLES.glob("*.txt")):
        found += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 80]
    return found


def huge_text(size_mb: float) -> str:
    """About `size_mb` MB of UTF-8 text in distinct paragraphs, ending with LAST_WORD."""
    seeds = paragraphs()
    parts, size, n = [], 0, 0
    while size < size_mb * MB:
        paragraph = f"Đoạn {n + 1}: {seeds[n % len(seeds)]}"
        parts.append(paragraph)
        size += len(paragraph.encode("utf-8")) + 1
        n += 1
    parts.append(f"Từ cuối cùng của bài: {LAST_WORD}.")
    return "\n".join(parts)


def write_article(folder: Path, kind: str, text: str) -> str:
    """The article as `big.txt` or `big.json` in `folder`; returns its id."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "txt":
        (folder / "big.txt").write_text(f"{TITLE}\n\n{text}\n", encoding="utf-8")
        return "big.txt"
    (folder / "big.json").write_text(json.dumps({"id": "big", "title": TITLE, "text": text}, ensure_ascii=False),
                                     encoding="utf-8")
    return "big"


# Runs manage.py in this interpreter and reports its own high-water mark (VmHWM) at exit: a
# child's ru_maxrss would also count its parent's size at fork.
_PEAK_WRAPPER = """import atexit, re, runpy, sys
def report():
    status = open("/proc/self/status").read()
    print(int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) // 1024, file=sys.stderr)
atexit.register(report)
sys.argv = sys.argv[1:]
runpy.run_path("manage.py", run_name="__main__")
"""


def peak_of(command: list[str]) -> tuple[int, float, str, int]:
    """(exit status, seconds, stderr, peak RSS in MiB) of `manage.py` with `command`'s arguments."""
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", _PEAK_WRAPPER, "manage.py", *command], cwd=REPO,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = child.stderr.rstrip().splitlines()
    return child.returncode, time.perf_counter() - started, "\n".join(stderr[:-1]), int(stderr[-1])


def measure(size_mb: float, kind: str, work: Path) -> dict:
    source, index = work / f"src-{kind}", work / f"index-{kind}"
    shutil.rmtree(source, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    text = huge_text(size_mb)
    article_id = write_article(source, kind, text)
    file_mb = sum(p.stat().st_size for p in source.iterdir()) / MB
    del text
    status, seconds, stderr, peak = peak_of(["rebuild", "--source", str(source), "--index", str(index)])
    if status:
        raise SystemExit(f"rebuild failed: {stderr.strip()[-500:]}")
    py = [sys.executable, "manage.py"]
    found = json.loads(subprocess.run(py + ["search", LAST_WORD, "--json", "--index", str(index)], cwd=REPO,
                                      capture_output=True, text=True, check=True).stdout)
    shown = json.loads(subprocess.run(py + ["show", article_id, "--json", "--index", str(index)], cwd=REPO,
                                      capture_output=True, text=True, check=True).stdout)
    whole = shown["text"].rstrip().endswith(LAST_WORD + ".") and len(shown["text"].encode("utf-8")) > 0.97 * file_mb * MB
    shutil.rmtree(index, ignore_errors=True)
    shutil.rmtree(source, ignore_errors=True)
    return {"format": kind, "file_mb": round(file_mb, 1), "peak_mib": peak, "seconds": round(seconds, 1),
            "found": found["total"] == 1, "whole": whole}


def write_results(rows: list[dict], command: str) -> None:
    results = REPO / "bench" / "RESULTS.md"
    lines = ["## Huge articles: one article indexed whole, peak RSS of `rebuild`", "",
             f"`{command}` — each size as a .txt file and a .json record, one `manage.py rebuild`",
             "each (peak RSS: the process's VmHWM at exit); the last word is found and `show` returns the whole text.", "",
             "| file | size | peak RSS | time | last word found | whole text shown |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| .{row['format']} | {row['file_mb']} MB | {row['peak_mib']} MiB | {row['seconds']} s "
                     f"| {'yes' if row['found'] else 'NO'} | {'yes' if row['whole'] else 'NO'} |")
    section = "\n".join(lines) + "\n"
    current = results.read_text(encoding="utf-8")
    pattern = re.compile(r"## Huge articles.*?(?=\n## |\Z)", re.S)
    current = pattern.sub(lambda _: section.rstrip("\n") + "\n", current) if pattern.search(current) \
        else current.rstrip("\n") + "\n\n" + section
    results.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[5, 20, 50], help="article sizes in MB")
    parser.add_argument("--formats", nargs="+", default=["txt", "json"], choices=["txt", "json"])
    parser.add_argument("--write", action="store_true", help="rewrite the section of bench/RESULTS.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="vnsearch-big-") as work:
        for size in args.sizes:
            for kind in args.formats:
                row = measure(size, kind, Path(work))
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.write:
        write_results(rows, "python bench/bigarticle.py " + " ".join(sys.argv[1:]).replace(" --write", ""))


if __name__ == "__main__":
    main()

"""Are the generations a rebuild writes byte-identical to those of another version of the code?

    python bench/generation_bytes.py sample DIR            # 1,000 corpus articles into DIR (a .jsonl.gz)
    python bench/generation_bytes.py build SOURCE INDEX    # rebuild SOURCE into INDEX with this checkout
                                                           # (or the one VNSEARCH_CODE names)
    python bench/generation_bytes.py updated SOURCE INDEX  # a copy of SOURCE rebuilt, then a file added,
                                                           # one removed and `update` run (fixed mtimes)
    python bench/generation_bytes.py compare INDEX_A INDEX_B

Every file of the two current generations is compared, except what differs from one run to the
next by design: report.json's timings (`seconds`, `built_at`, `source`) and the random segment
ids Whoosh puts in file names and in its table of contents (replaced by their order in the
table of contents before comparing); a file of ADDED_FILES may be in the second generation only. Exit 1 and a list of the differing files when they differ.
"""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import sys
from pathlib import Path

CORPORA = Path("/work/shared/corpora")
SAMPLE_FROM = ("baomoi_news", "news24h_sample", "unc_dantri_news", "vntc_news")
SAMPLE_SIZE = 1000
VOLATILE_REPORT_KEYS = ("seconds", "built_at", "source")
# Files a newer format adds beside the unchanged ones (compare A B: allowed only in B).
ADDED_FILES = ("format.json",)
_SEGMENT_FILE = re.compile(r"^(?P<index>.+?)_(?P<segid>[a-z0-9]{16})(?P<rest>\..+)$")


def write_sample(folder: Path) -> Path:
    """The first SAMPLE_SIZE / 4 articles of each of four news corpora, in one .jsonl.gz."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "corpus_1000.jsonl.gz"
    each = SAMPLE_SIZE // len(SAMPLE_FROM)
    with gzip.open(out, "wt", encoding="utf-8") as handle:
        for name in SAMPLE_FROM:
            with gzip.open(CORPORA / name / "docs.jsonl.gz", "rt", encoding="utf-8") as lines:
                for number, line in enumerate(lines):
                    if number == each:
                        break
                    handle.write(line)
    return out


def generation_files(index_dir: Path) -> dict[str, bytes]:
    """Every file of the current generation, segment ids replaced by seg0, seg1, … (in the order
    of the table of contents) in names and contents alike."""
    generation = index_dir / os.readlink(index_dir / "current")
    files = sorted(p for p in generation.rglob("*") if p.is_file())
    found = {m.group("segid") for path in files if (m := _SEGMENT_FILE.match(path.name))}
    toc = b"".join(path.read_bytes() for path in files if path.suffix == ".toc")
    # Numbered in the order the table of contents lists them (an update makes a second segment).
    ordered = sorted(found, key=lambda segid: (toc.find(segid.encode()), segid))
    segids = {segid: f"seg{n:013d}" for n, segid in enumerate(ordered)}
    out = {}
    for path in files:
        name, data = path.relative_to(generation).as_posix(), path.read_bytes()
        for segid, stand_in in segids.items():
            name = name.replace(segid, stand_in)
            data = data.replace(segid.encode(), stand_in.encode())
        if name == "report.json":
            report = json.loads(data)
            for key in VOLATILE_REPORT_KEYS:
                report.pop(key, None)
            data = json.dumps(report, ensure_ascii=False, sort_keys=True).encode()
        out[name] = data
    return out


def compare(a: Path, b: Path) -> list[str]:
    left, right = generation_files(a), generation_files(b)
    problems = [f"only in {a}: {n}" for n in sorted(set(left) - set(right))]
    problems += [f"only in {b}: {n}" for n in sorted(set(right) - set(left)) if n not in ADDED_FILES]
    problems += [f"differs: {n} ({len(left[n])} / {len(right[n])} bytes)"
                 for n in sorted(set(left) & set(right)) if left[n] != right[n]]
    return problems


FIXED_MTIME_NS = 1_700_000_000_000_000_000  # fingerprints (size, mtime) are stored: fix them


def update_copy(search, source: Path, index_dir: Path):
    """Rebuild a copy of `source` (beside the index), then add an article, remove the first file
    and update: the update path's files, the same whichever code runs it."""
    work = index_dir.parent / (index_dir.name + "-source")
    shutil.copytree(source, work)
    for path in sorted(work.rglob("*")):
        os.utime(path, ns=(FIXED_MTIME_NS, FIXED_MTIME_NS))
    search.rebuild(work, index_dir)
    added = work / "added.jsonl"
    added.write_text(json.dumps({"id": "added-1", "title": "Bão số 3 đổ bộ Quảng Ninh",
                                 "text": "Cơn bão mạnh gây mưa lớn ở Quảng Ninh và Hải Phòng."}, ensure_ascii=False)
                     + "\n", encoding="utf-8")
    os.utime(added, ns=(FIXED_MTIME_NS + 1, FIXED_MTIME_NS + 1))
    next(p for p in sorted(work.rglob("*")) if p.is_file() and p != added).unlink()
    return search.update(work, index_dir)


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "sample":
        print(write_sample(Path(args[0])))
        return 0
    if command == "build":
        sys.path.insert(0, os.environ.get("VNSEARCH_CODE") or str(Path(__file__).resolve().parent.parent))
        import search

        summary = search.rebuild(args[0], args[1])
        print(f"{summary.indexed} articles -> {args[1]} (code: {Path(search.__file__).parent})")
        return 0
    if command == "updated":
        sys.path.insert(0, os.environ.get("VNSEARCH_CODE") or str(Path(__file__).resolve().parent.parent))
        import search

        summary = update_copy(search, Path(args[0]), Path(args[1]))
        print(f"+{summary.added} -{summary.removed} -> {args[1]} (code: {Path(search.__file__).parent})")
        return 0
    if command == "compare":
        problems = compare(Path(args[0]), Path(args[1]))
        files = len(generation_files(Path(args[0])))
        added = sorted(set(generation_files(Path(args[1]))) - set(generation_files(Path(args[0]))))
        print("\n".join(problems) if problems else
              f"identical: {files} files" + (f" (added: {', '.join(added)})" if added else ""))
        return 1 if problems else 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

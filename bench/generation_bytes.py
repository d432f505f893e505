"""Are the generations a rebuild writes byte-identical to those of another version of the code?

    python bench/generation_bytes.py sample DIR            # 1,000 corpus articles into DIR (a .jsonl.gz)
    python bench/generation_bytes.py build SOURCE INDEX    # rebuild SOURCE into INDEX with this checkout
                                                           # (or the one VNSEARCH_CODE names)
    python bench/generation_bytes.py compare INDEX_A INDEX_B

Every file of the two current generations is compared, except what differs from one run to the
next by design: report.json's timings (`seconds`, `built_at`, `source`) and the random segment
ids Whoosh puts in file names and in its table of contents (replaced by their order of
appearance before comparing); a file of ADDED_FILES may be in the second generation only. Exit 1 and a list of the differing files when they differ.
"""
from __future__ import annotations

import gzip
import json
import os
import re
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
    """Every file of the current generation, segment ids replaced by seg0, seg1, … (by sorted
    file name) in names and contents alike."""
    generation = index_dir / os.readlink(index_dir / "current")
    files = sorted(p for p in generation.rglob("*") if p.is_file())
    segids: dict[str, str] = {}
    for path in files:
        m = _SEGMENT_FILE.match(path.name)
        if m and m.group("segid") not in segids:
            segids[m.group("segid")] = f"seg{len(segids):013d}"
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

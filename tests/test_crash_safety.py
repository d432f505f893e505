"""Crash safety (SPEC §6): `kill -9` of a real `manage.py rebuild` or `update` process at any
moment leaves the previous index serving, and the next run succeeds (no stale lock; half-built
generations cleaned up or ignored).

The process is killed where it says it is: run with VNSEARCH_TEST_PAUSE_AT it stops at that
checkpoint (search/checkpoints.py) and writes a marker, so every kill point is reached whatever
the machine's speed; no test hopes the process is still busy after a sleep.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from search import open_index, rebuild
from search.checkpoints import BEFORE_COMMIT
from search.build import ANALYSIS_BATCH, UPDATE_PARALLEL_BYTES
from search.store.container import CURRENT, GENERATION_PREFIX
from search.requests import SearchRequest

from helpers import ROOT, SAMPLES

pytestmark = pytest.mark.slow

WORDS = ("người dân tỉnh thành phố hội nghị đại biểu công tác năm kinh tế xã hội phát triển giáo dục y tế "
         "giao thông nông nghiệp doanh nghiệp đầu tư chính quyền nhân dân ủy ban huyện xã phường thị trấn "
         "học sinh sinh viên trường lớp bệnh viện bác sĩ mưa bão lũ lụt đường cầu sông biển đảo rừng núi "
         "giá vàng lúa gạo cà phê hồ tiêu điện nước khu công nghiệp nhà máy lao động việc làm thu nhập").split()
# Past the "reading" checkpoint (after the first ANALYSIS_BATCH articles) there are articles left
# to read, and the changed files of an update exceed UPDATE_PARALLEL_BYTES, so the killed update
# is one that analyses in worker processes (about 85 KB).
GENERATED_ARTICLES = 120
WORDS_PER_ARTICLE = 100


def write_generated_source(folder: Path, articles: int = GENERATED_ARTICLES, words: int = WORDS_PER_ARTICLE,
                           per_file: int = 20, seed: int = 1, prefix: str = "gen") -> int:
    """`articles` distinct synthetic Vietnamese articles in .jsonl files of `per_file` lines."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, articles, per_file):
        lines = []
        for n in range(start, min(articles, start + per_file)):
            title = f"Bài {prefix} {n}: " + " ".join(rnd.choice(WORDS) for _ in range(8))
            text = " ".join(rnd.choice(WORDS) for _ in range(words))
            lines.append(json.dumps({"id": f"{prefix}-{n}", "title": title, "text": text}, ensure_ascii=False))
        (folder / f"{prefix}-{start // per_file:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return articles


PAUSE_AT, PAUSE_MARKER = "VNSEARCH_TEST_PAUSE_AT", "VNSEARCH_TEST_PAUSE_MARKER"
# Only a hung process takes this long to reach a checkpoint: waiting for one is no race.
CHECKPOINT_TIMEOUT = 120.0


def manage(*args, pause_at: str | None = None, marker: Path | None = None) -> subprocess.Popen:
    """`manage.py *args` in a child process; with `pause_at` it stops at that checkpoint, writes
    `marker` and waits there until killed or until the marker is deleted (see `resume`)."""
    env = {name: value for name, value in os.environ.items() if name not in (PAUSE_AT, PAUSE_MARKER)}
    env["VNSEARCH_PROGRESS_SECONDS"] = "100000"  # no progress lines on a slow machine: stderr holds only errors
    if pause_at:
        env.update({PAUSE_AT: pause_at, PAUSE_MARKER: str(marker)})
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(condition, what: str, timeout: float = CHECKPOINT_TIMEOUT) -> None:
    """Poll `condition` until true; a timeout means something hung."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.01)


def paused_at(process: subprocess.Popen, marker: Path, point: str) -> bool:
    """Wait until `process` stands at the checkpoint `point` (→ True) or ended without reaching
    it (→ False)."""
    wait_until(lambda: marker.exists() or process.poll() is not None, f"the checkpoint «{point}»")
    if not marker.exists():
        return False
    assert marker.read_text(encoding="utf-8").split() == [str(process.pid), point]
    return True


def resume(marker: Path) -> None:
    """Let the process paused at a checkpoint go on."""
    marker.unlink()


def generations(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if p.name.startswith(GENERATION_PREFIX)}


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()


def assert_serving(index_dir: Path, generation: str, count: int) -> None:
    """`current` names a complete generation that answers searches with the expected count."""
    assert os.readlink(index_dir / CURRENT) == generation
    index = open_index(index_dir)
    assert index.count() == count
    result = index.search(SearchRequest(q="đại hội"))
    assert result.total >= 1 and result.hits
    assert index.search(SearchRequest(q="", size=100)).total == count


def tables_of_contents(folder: Path) -> set[str]:
    """Whoosh's TOC files: a commit has landed when a new one is written."""
    return {name for name in os.listdir(folder) if name.endswith(".toc")}


def has_columns(names) -> bool:
    """Column files are written when Whoosh finishes a segment, i.e. during a commit."""
    return any(name.endswith(".col") for name in names)


@pytest.fixture()
def served(tmp_path):
    """An index of the five bundled articles, and a source with many more articles beside them."""
    index_dir = tmp_path / "index"
    rebuild(SAMPLES, index_dir)
    source = tmp_path / "source"
    shutil.copytree(SAMPLES, source)
    added = write_generated_source(source)
    assert added > ANALYSIS_BATCH
    assert sum(p.stat().st_size for p in source.glob("gen-*.jsonl")) > UPDATE_PARALLEL_BYTES
    return index_dir, source, os.readlink(index_dir / CURRENT), 5, 5 + added


def test_killed_rebuilds_leave_the_previous_index_serving_and_the_next_rebuild_succeeds(served, tmp_path):
    index_dir, source, old_generation, old_count, new_count = served
    for point in BEFORE_COMMIT:
        before = generations(index_dir)
        marker = tmp_path / f"paused-rebuild-{point}"
        process = manage("rebuild", "--source", source, "--index", index_dir, pause_at=point, marker=marker)
        try:
            reached = paused_at(process, marker, point)
            finished = process.poll() is not None
            half_built = {name: os.listdir(index_dir / name) for name in generations(index_dir) - before}
        finally:
            kill(process)
        assert reached and not finished, f"the rebuild ended before the kill point «{point}»"
        # Killed mid-way: its own generation made, its segment finished only at «commit», and
        # nothing committed (only the empty index's first TOC).
        assert len(half_built) == 1, half_built
        [files] = half_built.values()
        assert {name for name in files if name.endswith(".toc")} == {"_MAIN_0.toc"}, point
        assert has_columns(files) == (point == "commit"), point
        assert_serving(index_dir, old_generation, old_count)

    done = manage("rebuild", "--source", source, "--index", index_dir)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert out.strip().splitlines()[-1].startswith(f"Đã đánh chỉ mục {new_count} bài viết, bỏ qua 0")
    assert "lỗi" not in err
    current = os.readlink(index_dir / CURRENT)
    assert current != old_generation
    assert_serving(index_dir, current, new_count)
    # Half-built generations of the killed runs are gone; only the current and previous one stay.
    assert generations(index_dir) == {current, old_generation}


def test_killed_updates_leave_a_complete_index_and_the_next_update_succeeds(served, tmp_path):
    index_dir, source, generation, old_count, new_count = served
    segment_files = lambda: set(os.listdir(index_dir / generation))  # noqa: E731
    tables = tables_of_contents(index_dir / generation)
    for point in BEFORE_COMMIT:
        before = segment_files()
        marker = tmp_path / f"paused-update-{point}"
        process = manage("update", "--source", source, "--index", index_dir, pause_at=point, marker=marker)
        try:
            reached = paused_at(process, marker, point)
            finished = process.poll() is not None
            written = segment_files() - before
        finally:
            kill(process)
        assert reached and not finished, f"the update ended before the kill point «{point}»"
        # Killed before its commit landed (no new TOC); at «commit» its segment's files were written.
        assert tables_of_contents(index_dir / generation) == tables, point
        assert has_columns(written) == (point == "commit"), point
        # An update commits in one atomic Whoosh step: the index is wholly old or wholly new.
        index = open_index(index_dir)
        assert index.count() in (old_count, new_count), point
        assert os.readlink(index_dir / CURRENT) == generation
        if index.count() == new_count:
            pytest.fail(f"killed «{point}» after its commit: the kill point was too late to test anything")
        assert_serving(index_dir, generation, old_count)

    done = manage("update", "--source", source, "--index", index_dir)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert out.strip().splitlines()[-1].startswith(f"Đã cập nhật chỉ mục: thêm {new_count - old_count}, ")
    assert_serving(index_dir, generation, new_count)


def child_pids(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
    except (OSError, IndexError):
        return False


def test_a_killed_parallel_rebuild_leaves_no_workers_and_no_stale_lock(served, tmp_path):
    index_dir, source, old_generation, old_count, _ = served
    before = generations(index_dir)
    marker = tmp_path / "paused"
    # At «reading» the first batch has come back from a worker: both workers are running.
    process = manage("rebuild", "--procs", "2", "--source", source, "--index", index_dir,
                     pause_at="reading", marker=marker)
    workers: list[int] = []
    try:
        reached = paused_at(process, marker, "reading")
        workers = child_pids(process.pid)
        assert reached, "the parallel rebuild ended before the kill point «reading»"
        assert generations(index_dir) - before
        assert len(workers) == 2 and all(alive(w) for w in workers), workers
        kill(process)
        assert_serving(index_dir, old_generation, old_count)
        # Each worker notices within a fraction of a second that its rebuild is gone.
        wait_until(lambda: not any(alive(w) for w in workers), "the killed rebuild's workers to exit")
        assert rebuild(SAMPLES, index_dir).indexed == old_count
    finally:
        kill(process)
        for worker in workers:
            if alive(worker):
                os.kill(worker, signal.SIGKILL)


def phrase_answers(index_dir: Path) -> dict[str, list[str]]:
    index = open_index(index_dir)
    return {q: [h.id for h in index.search(SearchRequest(q=q, size=100)).hits]
            for q in ('"đại hội"', '"kinh tế xã hội"', '"người dân"', '"bài gen 7"')}


def test_an_update_killed_before_its_positions_part_is_repaired_by_the_next_update(served, tmp_path):
    from search.store.forward import FORWARD
    from search.store.positions import part_ranges, uncovered

    index_dir, source, generation, old_count, new_count = served
    folder = index_dir / generation
    marker = tmp_path / "paused-positions"
    process = manage("update", "--source", source, "--index", index_dir, pause_at="positions", marker=marker)
    try:
        reached = paused_at(process, marker, "positions")
    finally:
        kill(process)
    assert reached, "the update ended before the kill point «positions»"
    assert open_index(index_dir).count() == new_count  # committed: the update is live
    length = (folder / FORWARD).stat().st_size // 4
    assert uncovered(part_ranges(folder), length), "the kill left no gap in the positions"
    answers = phrase_answers(index_dir)  # the gap is scanned: slower, same answers
    assert any(answers.values())

    done = manage("update", "--source", source, "--index", index_dir)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert not uncovered(part_ranges(folder), length)
    assert phrase_answers(index_dir) == answers
    assert_serving(index_dir, generation, new_count)


def test_the_next_update_removes_what_killed_runs_left(served, tmp_path):
    index_dir, source, generation, old_count, new_count = served
    folder = index_dir / generation
    segment_ids = lambda: {name.split(".")[0] for name in os.listdir(folder)  # noqa: E731
                           if name.startswith("MAIN_") and "." in name}
    listed = segment_ids()
    marker = tmp_path / "paused-update"
    process = manage("update", "--source", source, "--index", index_dir, pause_at="commit", marker=marker)
    try:
        assert paused_at(process, marker, "commit")
    finally:
        kill(process)
    orphans = segment_ids() - listed
    assert orphans  # the killed update's segment, listed by no TOC
    assert (folder / "MAIN.tmp").is_dir()  # Whoosh's pool folder
    for name in ("report.json.tmp", ".positions-0-9.pos.npy.123.tmp"):
        (folder / name).write_bytes(b"half")
    # A rebuild killed before its report and flip (as a killed rebuild leaves one: see above).
    half_built = index_dir / f"{generation}-killed"
    half_built.mkdir()
    (half_built / "forward.u32").write_bytes(b"\0" * 4096)

    done = manage("update", "--source", source, "--index", index_dir)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert generations(index_dir) == {generation}
    assert not [p for p in index_dir.rglob("*") if p.name.endswith(".tmp")]
    assert listed <= segment_ids() and not orphans & segment_ids()  # listed segments kept, the orphan gone
    assert_serving(index_dir, generation, new_count)

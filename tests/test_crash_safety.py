"""Crash safety (SPEC §6): `kill -9` of a real `manage.py rebuild` or `update` process at any
moment leaves the previous index serving, and the next run succeeds (no stale lock; half-built
generations cleaned up or ignored)."""
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
from search.index import CURRENT, GENERATION_PREFIX
from search.results import SearchRequest

from conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow

WORDS = ("người dân tỉnh thành phố hội nghị đại biểu công tác năm kinh tế xã hội phát triển giáo dục y tế "
         "giao thông nông nghiệp doanh nghiệp đầu tư chính quyền nhân dân ủy ban huyện xã phường thị trấn "
         "học sinh sinh viên trường lớp bệnh viện bác sĩ mưa bão lũ lụt đường cầu sông biển đảo rừng núi "
         "giá vàng lúa gạo cà phê hồ tiêu điện nước khu công nghiệp nhà máy lao động việc làm thu nhập").split()
# Enough work for a rebuild of several seconds on a small machine, so it can be killed mid-way
# (about 4 s since indexing runs at a few hundred articles a second).
GENERATED_ARTICLES = 1000
WORDS_PER_ARTICLE = 400


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


def manage(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def generations(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if p.name.startswith(GENERATION_PREFIX)}


def wait_for(condition, process: subprocess.Popen, timeout: float = 60.0) -> bool:
    """Poll `condition` until true (→ True) or the process ended first (→ False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.01)
    raise AssertionError("timed out waiting for the process to reach the kill point")


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


def new_files(folder: Path, before: set[str], suffix: str) -> bool:
    try:
        return any(name.endswith(suffix) and name not in before for name in os.listdir(folder))
    except FileNotFoundError:
        return False


def new_generation_has(index_dir: Path, before: set[str], suffix: str) -> bool:
    return any(new_files(index_dir / name, set(), suffix) for name in generations(index_dir) - before)


@pytest.fixture()
def served(tmp_path):
    """An index of the five bundled articles, and a source with many more articles beside them."""
    index_dir = tmp_path / "index"
    rebuild(SAMPLES, index_dir)
    source = tmp_path / "source"
    shutil.copytree(SAMPLES, source)
    added = write_generated_source(source)
    return index_dir, source, os.readlink(index_dir / CURRENT), 5, 5 + added


def test_killed_rebuilds_leave_the_previous_index_serving_and_the_next_rebuild_succeeds(served):
    index_dir, source, old_generation, old_count, new_count = served
    kill_points = {
        "while starting": lambda before, p: (time.sleep(0.5), True)[1],
        "while reading articles": lambda before, p: wait_for(
            lambda: bool(generations(index_dir) - before), p) and (time.sleep(0.5), True)[1],
        # Column files are written when Whoosh finishes the segment, i.e. during commit.
        "during commit": lambda before, p: wait_for(lambda: new_generation_has(index_dir, before, ".col"), p),
    }
    for moment, reach in kill_points.items():
        before = generations(index_dir)
        process = manage("rebuild", "--source", source, "--index", index_dir)
        reached = reach(before, process)
        finished = process.poll() is not None
        kill(process)
        assert reached and not finished, f"the rebuild ended before the kill point «{moment}»"
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


def test_killed_updates_leave_a_complete_index_and_the_next_update_succeeds(served):
    index_dir, source, generation, old_count, new_count = served
    segment_files = lambda: set(os.listdir(index_dir / generation))  # noqa: E731
    kill_points = {
        "while starting": lambda before, p: (time.sleep(0.5), True)[1],
        # Whoosh's writer puts its first files beside the segments once articles are being added.
        "while reading articles": lambda before, p: wait_for(
            lambda: bool(segment_files() - before), p) and (time.sleep(0.5), True)[1],
        "during commit": lambda before, p: wait_for(lambda: new_files(index_dir / generation, before, ".col"), p),
    }
    for moment, reach in kill_points.items():
        before = segment_files()
        process = manage("update", "--source", source, "--index", index_dir)
        reached = reach(before, process)
        finished = process.poll() is not None
        kill(process)
        assert reached and not finished, f"the update ended before the kill point «{moment}»"
        # An update commits in one atomic Whoosh step: the index is wholly old or wholly new.
        index = open_index(index_dir)
        assert index.count() in (old_count, new_count), moment
        assert os.readlink(index_dir / CURRENT) == generation
        if index.count() == new_count:
            pytest.fail(f"killed «{moment}» after its commit: the kill point was too late to test anything")
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


def test_a_killed_parallel_rebuild_leaves_no_workers_and_no_stale_lock(served):
    index_dir, source, old_generation, old_count, _ = served
    before = generations(index_dir)
    process = manage("rebuild", "--procs", "2", "--source", source, "--index", index_dir)
    workers: list[int] = []
    try:
        assert wait_for(lambda: bool(generations(index_dir) - before) and bool(child_pids(process.pid)), process)
        time.sleep(0.5)
        workers = child_pids(process.pid)
        kill(process)
        assert_serving(index_dir, old_generation, old_count)
        deadline = time.monotonic() + 5
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(w) for w in workers), "the killed rebuild's workers are still running"
        assert rebuild(SAMPLES, index_dir).indexed == old_count
    finally:
        for worker in workers:
            if alive(worker):
                os.kill(worker, signal.SIGKILL)

"""A full disk (issue 18): a rebuild or update that cannot write says why in one line, removes
what it wrote and leaves the index in use serving; an update that committed stands, with a
warning for what it could not write after. The disk is a small tmpfs (the tests run as root)."""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from search import open_index, rebuild, update
from search import build
from search.requests import SearchRequest
from search.store.container import CURRENT
from search.store.forward import FORWARD
from search.store.positions import part_ranges, uncovered

from helpers import SAMPLES
from test_crash_safety import assert_serving, generations, manage, write_generated_source

pytestmark = pytest.mark.slow
DISK_SIZE = "8m"


@pytest.fixture()
def disk(tmp_path):
    """An empty 8 MB file system, unmounted afterwards."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mountpoint)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"tmpfs cannot be mounted here: {done.stderr.strip() or done.returncode}")
    yield mountpoint
    subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file taking all the free room of `disk` but `leave` bytes."""
    stat = os.statvfs(disk)
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))
    return filler


def temporaries(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".postings-")]


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_rebuild_that_does_not_fit_says_so_and_the_previous_generation_serves(disk, tmp_path):
    index_dir = disk / "index"
    rebuild(SAMPLES, index_dir)
    old = os.readlink(index_dir / CURRENT)
    source = tmp_path / "big"
    write_generated_source(source, articles=1500, words=300)  # about 3 MB: its index needs more than 8 MB

    done = manage("rebuild", "--source", source, "--index", index_dir)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 1
    line = one_error_line(err)
    assert line.startswith(f"lỗi: hết chỗ trên đĩa khi ghi {index_dir}"), line
    assert line.endswith("; chỉ mục cũ vẫn được dùng"), line
    assert generations(index_dir) == {old}  # no half generation
    assert not temporaries(index_dir)
    assert_serving(index_dir, old, 5)


def test_an_update_on_a_nearly_full_disk_leaves_the_index_as_it_was_until_there_is_room(disk, tmp_path):
    index_dir = disk / "index"
    rebuild(SAMPLES, index_dir)
    generation = index_dir / os.readlink(index_dir / CURRENT)
    files = {p.name: p.stat().st_size for p in generation.iterdir()}
    source = tmp_path / "source"
    shutil.copytree(SAMPLES, source)
    added = write_generated_source(source)
    filler = fill(disk, leave=200 * 1024)

    done = manage("update", "--source", source, "--index", index_dir)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 1
    line = one_error_line(err)
    assert line.startswith("lỗi: hết chỗ trên đĩa khi ghi "), line
    assert line.endswith("; chỉ mục vẫn như trước lần cập nhật này"), line
    # Nothing of the failed update stays: no segment file, no forward tail, no temporary file.
    assert {p.name: p.stat().st_size for p in generation.iterdir()} == files
    assert not temporaries(index_dir)
    assert_serving(index_dir, generation.name, 5)

    filler.unlink()
    assert update(source, index_dir).added == added
    assert open_index(index_dir).count() == 5 + added


def test_an_update_that_committed_stands_and_warns_for_what_it_could_not_write_after(tmp_path, monkeypatch):
    index_dir, source = tmp_path / "index", tmp_path / "source"
    shutil.copytree(SAMPLES, source)
    rebuild(source, index_dir)
    added = write_generated_source(source, articles=40)
    generation = index_dir / os.readlink(index_dir / CURRENT)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(build, "add_part", disk_full)
    monkeypatch.setattr(build.container, "write_report", disk_full)
    summary = update(source, index_dir)
    assert summary.added == added
    assert len(summary.warnings) == 2
    assert all(w.startswith(f"hết chỗ trên đĩa khi ghi {generation}: chưa ghi được ") for w in summary.warnings)
    assert "dữ liệu vị trí" in summary.warnings[0] and "report.json" in summary.warnings[1]
    assert open_index(index_dir).count() == 5 + added
    length = (generation / FORWARD).stat().st_size // 4
    assert uncovered(part_ranges(generation), length)
    phrase = open_index(index_dir).search(SearchRequest(q='"bài gen 7"')).total

    monkeypatch.undo()
    assert update(source, index_dir).warnings == []
    assert not uncovered(part_ranges(generation), length)  # the next update wrote the part
    assert open_index(index_dir).search(SearchRequest(q='"bài gen 7"')).total == phrase >= 1

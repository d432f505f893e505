"""manage.py rebuild and update show how far they are: a bar on a terminal, lines in a log."""
import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios

import pytest

from helpers import ROOT, SAMPLES, write_articles

pytestmark = pytest.mark.slow
SAMPLE_FILES = len([p for p in SAMPLES.iterdir() if p.is_file()])


def run_in_terminal(*args, env=None) -> tuple[int, str]:
    """Run manage.py with stdout and stderr on a pseudo-terminal of 100 × 30; (exit code, what it showed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen([sys.executable, "manage.py", *map(str, args)], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return process.wait(timeout=120), shown.decode("utf-8")


def run_in_log(*args, seconds="0"):
    env = {**os.environ, "VNSEARCH_PROGRESS_SECONDS": seconds}
    return subprocess.run([sys.executable, "manage.py", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_rebuild_on_a_terminal_shows_a_bar_with_rate_and_time_left(tmp_path):
    code, shown = run_in_terminal("rebuild", "--source", SAMPLES, "--index", tmp_path / "index")
    assert code == 0, shown
    states = [s for s in re.split(r"[\r\n]+", shown) if s.startswith("Đánh chỉ mục:")]
    last = states[-1]
    assert re.search(rf"100%\|.*\| {SAMPLE_FILES}/{SAMPLE_FILES} tệp", last), last
    assert re.search(r"\d+ bài viết, \d+,\d bài/giây", last), last
    assert re.search(r"\[\d\d:\d\d, còn \d\d:\d\d\]", last), last
    assert "Đã đánh chỉ mục 5 bài viết, bỏ qua 0" in shown


def test_rebuild_in_a_log_writes_a_line_per_file_at_interval_zero(tmp_path):
    done = run_in_log("rebuild", "--source", SAMPLES, "--index", tmp_path / "index")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert [re.match(r"Đánh chỉ mục: (\d+)/(\d+) tệp, \d+ bài viết, \d+,\d bài/giây", line).groups()
            for line in lines] == [(str(n), str(SAMPLE_FILES)) for n in range(1, SAMPLE_FILES + 1)]
    assert "còn khoảng" in lines[0]
    assert "\r" not in done.stderr and "█" not in done.stderr  # no bar in a log
    assert done.stdout.strip().startswith("Đã đánh chỉ mục 5 bài viết")


def test_rebuild_in_a_log_is_quiet_between_intervals(tmp_path):
    done = run_in_log("rebuild", "--source", SAMPLES, "--index", tmp_path / "index", seconds="3600")
    assert done.returncode == 0 and done.stderr == ""


def test_update_shows_progress_and_tells_added_changed_and_removed_apart(tmp_path):
    source, index_dir = tmp_path / "source", tmp_path / "index"
    shutil.copytree(SAMPLES, source)
    assert run_in_log("rebuild", "--source", source, "--index", index_dir).returncode == 0
    articles = [{"id": f"u-{n}", "title": f"Tin số {n}", "text": f"Bài kiểm tra cập nhật số {n}."} for n in (1, 2)]
    write_articles(source / "new", "a.jsonl", articles[:1])
    write_articles(source / "new", "b.jsonl", articles[1:])
    done = run_in_log("update", "--source", source, "--index", index_dir)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"Đánh chỉ mục: 1/2 tệp.*\nĐánh chỉ mục: 2/2 tệp.*", done.stderr.strip())
    assert re.fullmatch(r"Đã cập nhật chỉ mục: thêm 2, cập nhật 0, xóa 0 bài viết \(0 tệp đã bị xóa\), "
                        r"bỏ qua 0, trong \d+,\d giây", done.stdout.strip())

    code, shown = run_in_terminal("update", "--source", source, "--index", index_dir)  # nothing to read
    assert code == 0 and "thêm 0, cập nhật 0, xóa 0 bài viết" in shown and "Đánh chỉ mục" not in shown

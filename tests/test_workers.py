"""`serve --workers N` (SPEC §6): N worker processes behind one port, each following a new
generation by itself: after a rebuild every worker answers with the new count, no restart."""
from __future__ import annotations

import json
import os
import shutil
import signal
import urllib.request

import psutil
import pytest

from search import rebuild
from search.store.container import CURRENT

from helpers import SAMPLES, free_port
from test_crash_safety import kill, manage, wait_until, write_generated_source

pytestmark = pytest.mark.slow
WORKERS = 2
IN_A_ROW = 20  # consecutive answers, each on a new connection, that must all show the new count


def articles(url: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:  # a new connection each time
            return json.load(response).get("articles")
    except OSError:
        return None


def workers_reading(master: psutil.Process, generation: str) -> set[int]:
    """The workers that hold files of `generation` open (a worker opens its index on warm-up and
    reopens it on the first request after `current` flips)."""
    reading = set()
    for worker in master.children():
        try:
            if any(f"/{generation}/" in opened.path for opened in worker.open_files()):
                reading.add(worker.pid)
        except psutil.NoSuchProcess:
            pass
    return reading


def test_every_worker_serves_the_new_generation_after_a_rebuild(tmp_path):
    index_dir = tmp_path / "index"
    rebuild(SAMPLES, index_dir)
    source = tmp_path / "source"
    shutil.copytree(SAMPLES, source)
    new_count = 5 + write_generated_source(source, articles=20)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    workers: set[int] = set()
    server = manage("serve", "--port", port, "--workers", WORKERS, "--threads", 4, "--index", index_dir)
    try:
        wait_until(lambda: articles(url) == 5 or server.poll() is not None, "the server to answer", timeout=120)
        assert server.poll() is None, server.communicate()[1]
        master = psutil.Process(server.pid)
        old = os.readlink(index_dir / CURRENT)
        wait_until(lambda: len(workers_reading(master, old)) == WORKERS, f"{WORKERS} workers to open the index",
                   timeout=60)
        workers = {worker.pid for worker in master.children()}

        process = manage("rebuild", "--source", source, "--index", index_dir)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        new = os.readlink(index_dir / CURRENT)
        assert new != old

        streak = [0]

        def new_count_in_a_row() -> bool:
            streak[0] = streak[0] + 1 if articles(url) == new_count else 0
            return streak[0] >= IN_A_ROW and workers_reading(master, new) == workers

        wait_until(new_count_in_a_row, f"{IN_A_ROW} answers in a row with {new_count} articles from every worker",
                   timeout=60)
        assert {worker.pid for worker in master.children()} == workers  # the same workers: no restart
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C: the master stops its workers and exits
        try:
            server.wait(timeout=30)
        finally:
            kill(server)
        assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                       for pid in workers), "a worker outlived Ctrl-C"


def _affinities(master: psutil.Process) -> dict[int, frozenset]:
    return {worker.pid: frozenset(os.sched_getaffinity(worker.pid)) for worker in master.children()}


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="CPU affinity is Linux's")
@pytest.mark.parametrize("pin", [True, False])
def test_as_many_workers_as_cpus_each_run_on_a_cpu_of_their_own_a_replacement_too(tmp_path, pin):
    """serve's default (one worker per usable CPU) pins each worker to its own CPU, and a worker
    that dies is replaced on the CPU it left; --no-cpu-affinity leaves them all free."""
    index_dir = tmp_path / "index"
    rebuild(SAMPLES, index_dir)
    cpus = frozenset(os.sched_getaffinity(0))
    port = free_port()
    server = manage("serve", "--port", port, "--threads", 2, "--index", index_dir,
                    *([] if pin else ["--no-cpu-affinity"]))
    try:
        wait_until(lambda: articles(f"http://127.0.0.1:{port}") == 5 or server.poll() is not None,
                   "the server to answer", timeout=120)
        assert server.poll() is None, server.communicate()[1]
        master = psutil.Process(server.pid)
        wait_until(lambda: len(master.children()) == len(cpus), f"{len(cpus)} workers", timeout=60)
        held = _affinities(master)
        if not pin:
            assert set(held.values()) == {cpus}
            return
        assert sorted(cpu for one in held.values() for cpu in one) == sorted(cpus)  # one CPU each, all used
        victim = max(held, key=lambda pid: max(held[pid]))  # not the first CPU: a replacement must look
        left = held[victim]
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: victim not in _affinities(master) and len(master.children()) == len(cpus),
                   "the master to replace the killed worker", timeout=60)
        replaced = _affinities(master)
        (newcomer,) = set(replaced) - set(held)
        assert replaced[newcomer] == left
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        finally:
            kill(server)

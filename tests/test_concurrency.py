"""Concurrency (SPEC §6, §7): a running server keeps answering during a rebuild and serves the
new generation after the swap without a restart; a second rebuild or update while one runs is
refused with one clear line and a non-zero exit, and nothing is corrupted.

"While a rebuild runs" is a rebuild paused at a checkpoint (search/checkpoints.py) until the test
lets it go on, never one hoped to be still running."""
from __future__ import annotations

import json
import os
import shutil
import threading
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import waitress

from search import open_index, rebuild
from search.store.container import CURRENT, GENERATION_PREFIX

from helpers import SAMPLES
from test_crash_safety import (assert_serving, generations, kill, manage, paused_at, resume, wait_until,
                               write_generated_source)

pytestmark = pytest.mark.slow


@pytest.fixture()
def source_and_index(tmp_path, request):
    """An index of the five bundled articles; a source holding them plus generated ones."""
    index_dir = tmp_path / "index"
    rebuild(SAMPLES, index_dir)
    source = tmp_path / "source"
    shutil.copytree(SAMPLES, source)
    articles = getattr(request, "param", None)
    return source, index_dir, 5, 5 + write_generated_source(source, **({"articles": articles} if articles else {}))


@pytest.fixture()
def server(source_and_index):
    """The web app under waitress on a free loopback port, in a thread of this process."""
    from waitress import wasyncore

    from web import create_app

    _, index_dir, _, _ = source_and_index
    wsgi = waitress.create_server(create_app(index_dir=index_dir), host="127.0.0.1", port=0, threads=4)
    stopping = threading.Event()

    def loop():  # waitress's own run() never returns; this one stops when asked, then closes cleanly
        while not stopping.is_set():
            wasyncore.loop(timeout=0.05, map=wsgi._map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{wsgi.effective_port}"
    stopping.set()
    thread.join(timeout=5)
    wsgi.task_dispatcher.shutdown()
    wasyncore.close_all(wsgi._map)


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


# "bài": one bundled article, and every generated one (their titles begin "Bài gen …").
SEARCH = "/api/search?q=b%C3%A0i&size=5"


@pytest.mark.parametrize("source_and_index", [40], indirect=True)
def test_server_keeps_answering_during_a_rebuild_and_serves_the_new_generation(server, source_and_index, tmp_path):
    source, index_dir, old_count, new_count = source_and_index
    assert get_json(f"{server}/healthz") == (200, {"status": "ok", "articles": old_count})
    old_total = get_json(f"{server}{SEARCH}")[1]["total"]

    statuses: Counter = Counter()
    totals: list[int] = []
    stop = threading.Event()

    def keep_searching():
        while not stop.is_set():
            status, body = get_json(f"{server}{SEARCH}")
            statuses[status] += 1
            if status == 200:
                totals.append(body["total"])
            stop.wait(0.02)  # leave the two CPUs of a small machine to the rebuild

    def answered() -> int:
        return sum(statuses.values())

    clients = [threading.Thread(target=keep_searching) for _ in range(2)]
    for client in clients:
        client.start()
    marker = tmp_path / "paused"
    # Paused inside its commit: the new generation's segment is written, not yet swapped in.
    process = manage("rebuild", "--source", source, "--index", index_dir, pause_at="commit", marker=marker)
    try:
        assert paused_at(process, marker, "commit"), "the rebuild ended before its checkpoint «commit»"
        paused_from = answered()
        wait_until(lambda: answered() >= paused_from + 10, "10 searches answered while the rebuild is paused")
        while_paused = len(totals)
        resume(marker)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        # The running server notices the new `current` by itself: no restart, no reopen.
        wait_until(lambda: get_json(f"{server}/healthz")[1].get("articles") == new_count,
                   "the server to serve the new generation", timeout=60)
        swapped_at = answered()
        wait_until(lambda: answered() >= swapped_at + 10, "10 searches answered after the swap")
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)
        kill(process)
    assert get_json(f"{server}/healthz") == (200, {"status": "ok", "articles": new_count})
    assert set(statuses) == {200}, statuses
    # Every answer came from one whole generation: the old total, then the new one.
    assert set(totals[:while_paused]) == {old_total}
    assert len(set(totals)) == 2 and max(totals) > old_total >= 1
    assert totals[-1] == max(totals)


@pytest.mark.parametrize("source_and_index", [40], indirect=True)
@pytest.mark.parametrize("second, point", [("rebuild", "start"), ("update", "commit")])
def test_a_second_writer_is_refused_while_a_rebuild_runs(source_and_index, second, point, tmp_path):
    source, index_dir, _, new_count = source_and_index
    before = generations(index_dir)
    marker = tmp_path / "paused"
    # The lock is held from «start» (taken before the new generation is made) to the swap.
    first = manage("rebuild", "--source", source, "--index", index_dir, pause_at=point, marker=marker)
    try:
        assert paused_at(first, marker, point), f"the first rebuild ended before its checkpoint «{point}»"
        refused = manage(second, "--source", source, "--index", index_dir)
        out, err = refused.communicate(timeout=60)
        assert first.poll() is None, "the first rebuild ended before the second writer tried: test proves nothing"
        resume(marker)
    except BaseException:
        kill(first)
        raise
    assert refused.returncode != 0
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lỗi: ") and "khác" in lines[0], err
    assert "Traceback" not in err

    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    current = os.readlink(index_dir / CURRENT)
    assert current.startswith(GENERATION_PREFIX) and current not in before
    assert_serving(index_dir, current, new_count)
    assert generations(index_dir) == {current} | before
    assert open_index(index_dir).stats()["articles"] == new_count

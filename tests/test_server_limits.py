"""The served app's own limits (vnsearch_cli.server.SERVER_LIMITS, waitress's in each gunicorn worker): idle or half-sent
connections cannot keep a new visitor waiting for long."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager

import pytest

from helpers import ROOT, free_port, wait_for_health

pytestmark = pytest.mark.slow

# Serves the app as `serve` does (one worker, 4 threads), waitress's limits overridden by argv[3]
# (JSON), on the port argv[2].
SERVER = """
import json, sys
from vnsearch_cli import server
options = server.options_for("127.0.0.1", int(sys.argv[2]), workers=1, threads=4)
server.VnsearchServer(sys.argv[1], options, limits=json.loads(sys.argv[3])).run()
"""
IDLE = 150


@contextmanager
def served(index_dir, **limits):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(index_dir), str(port), json.dumps(limits)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_health(process, f"http://127.0.0.1:{port}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def idle_connections(stack: ExitStack, port: int, count: int) -> None:
    """`count` half-open connections: a request line sent, the headers never finished."""
    for _ in range(count):
        connection = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")


def answer_time(port: int, timeout: float) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
        assert response.status == 200 and json.load(response)["status"] == "ok"
    return time.perf_counter() - started


def test_many_idle_connections_leave_room_for_a_new_request(sample_index_dir):
    with served(sample_index_dir) as port, ExitStack() as stack:
        idle_connections(stack, port, IDLE)
        assert answer_time(port, timeout=10) < 3


def test_the_idle_timeout_frees_a_server_whose_connections_are_all_taken(sample_index_dir):
    # Waitress's default limits: 100 connections, idle ones kept 120 s; here fewer seconds, same shape.
    with served(sample_index_dir, connection_limit=100, channel_timeout=2, cleanup_interval=1) as port, \
            ExitStack() as stack:
        idle_connections(stack, port, IDLE)
        assert answer_time(port, timeout=15) < 8

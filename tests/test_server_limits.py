"""The served app's own limits (vnsearch_cli.commands.SERVER_LIMITS): idle or half-sent
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

from helpers import ROOT

pytestmark = pytest.mark.slow

# Serves the app with waitress as `serve` does, its limits overridden by argv[2] (JSON); prints the port.
SERVER = """
import json, sys
import waitress
from vnsearch_cli.commands import SERVER_LIMITS
from web import create_app
limits = {**SERVER_LIMITS, **json.loads(sys.argv[2])}
server = waitress.create_server(create_app(index_dir=sys.argv[1]), host="127.0.0.1", port=0, threads=4,
                                ident="vnsearch", **limits)
print(server.effective_port, flush=True)
server.run()
"""
IDLE = 150


@contextmanager
def served(index_dir, **limits):
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(index_dir), json.dumps(limits)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        yield int(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(timeout=10)


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
        answer_time(port, timeout=30)  # the app is up and the index open
        idle_connections(stack, port, IDLE)
        assert answer_time(port, timeout=10) < 3


def test_the_idle_timeout_frees_a_server_whose_connections_are_all_taken(sample_index_dir):
    # Waitress's default limits: 100 connections, idle ones kept 120 s; here fewer seconds, same shape.
    with served(sample_index_dir, connection_limit=100, channel_timeout=2, cleanup_interval=1) as port, \
            ExitStack() as stack:
        answer_time(port, timeout=30)
        idle_connections(stack, port, IDLE)
        assert answer_time(port, timeout=15) < 8

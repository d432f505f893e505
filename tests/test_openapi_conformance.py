"""Schemathesis, every check, against the served app on loopback: what /api/openapi.json
describes is what the server accepts, refuses and answers (README, HTTP)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, free_port, wait_for_health

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).parent / "st"
EXAMPLES = 60  # per operation and phase; the whole run stays well under a minute


@pytest.fixture()
def served_api(sample_index_dir):
    port = free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--threads", "4", "--index", str(sample_index_dir)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(server, url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_api_conforms_to_its_openapi_description_on_every_check(served_api, tmp_path):
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)])}
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{served_api}/api/openapi.json", "--checks", "all",
         "--max-examples", str(EXAMPLES), "--seed", "18", "--generation-database", "none",
         "--request-timeout", "10", "--report-dir", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert " passed" in output and "failed" not in output.split("SUMMARY")[-1]

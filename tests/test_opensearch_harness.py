"""tests/opensearch_cluster.py: the project's own OpenSearch nodes start on loopback, say in one
line why they could not start, and never outlive the tests."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import opensearch_cluster
from opensearch_cluster import OpenSearchUnavailable, start_cluster


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a child of ours: reap it
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_one_node_answers_on_loopback_only(opensearch_node):
    info = _get(opensearch_node.url)
    assert info["version"]["number"].startswith("2.19.")
    health = _get(f"{opensearch_node.url}/_cluster/health")
    assert health["status"] in ("green", "yellow") and health["number_of_nodes"] == 1
    nodes = _get(f"{opensearch_node.url}/_nodes/http,transport")["nodes"].values()
    for node in nodes:
        for layer in ("http", "transport"):
            assert all(a.startswith("127.0.0.1:") for a in node[layer]["bound_address"]), node[layer]
    plugins = {p["name"] for p in _get(f"{opensearch_node.url}/_nodes/plugins")["nodes"].popitem()[1]["plugins"]}
    assert not any("security" in name.lower() for name in plugins)


@pytest.mark.slow
def test_stop_ends_the_jvm(tmp_path):
    cluster = start_cluster(1, tmp_path)
    pid = cluster.nodes[0].process.pid
    cluster.stop()
    assert _gone(pid)
    assert cluster.nodes[0].log_path.is_file()  # the log of a cluster given its folder is kept


@pytest.mark.slow
def test_no_jvm_outlives_a_killed_test_run(tmp_path):
    """The Python process that started a node is SIGKILLed (no atexit, no finalizer): the JVM
    follows it (PR_SET_PDEATHSIG)."""
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from opensearch_cluster import start_cluster; "
              "c = start_cluster(1, sys.argv[2]); print(c.nodes[0].process.pid, flush=True); "
              "import time; time.sleep(600)")
    parent = subprocess.Popen([sys.executable, "-c", script, str(Path(__file__).parent), str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline()
        assert line.strip().isdigit(), "the node did not start"
        jvm = int(line)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _gone(jvm), f"JVM {jvm} outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


@pytest.mark.slow
def test_a_node_that_does_not_start_is_one_line_naming_the_cause(tmp_path):
    with pytest.raises(OpenSearchUnavailable) as failed:
        start_cluster(1, tmp_path, settings={"no.such.setting": "1"}, timeout=120)
    message = str(failed.value)
    assert "\n" not in message
    assert "n1" in message and "no.such.setting" in message and str(tmp_path) in message


def test_missing_maven_is_one_line(tmp_path, monkeypatch):
    module = tmp_path / "opensearch"
    (module / "src").mkdir(parents=True)
    (module / "pom.xml").write_text("<project/>")
    monkeypatch.setattr(opensearch_cluster, "MODULE", module)
    monkeypatch.setattr(opensearch_cluster, "JAR", module / "target" / "missing.jar")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(OpenSearchUnavailable, match=r"^Maven \(mvn\) not found"):
        opensearch_cluster.build()


def test_missing_java_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(opensearch_cluster, "JAVA_17", tmp_path / "no-jdk")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("VNSEARCH_JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(OpenSearchUnavailable, match=r"^Java not found"):
        opensearch_cluster.java_home()


def test_a_failed_maven_build_names_its_log(tmp_path, monkeypatch):
    module = tmp_path / "opensearch"
    (module / "src").mkdir(parents=True)
    (module / "pom.xml").write_text("<project/>")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "mvn"
    fake.write_text("#!/bin/sh\necho '[ERROR] Could not resolve dependencies for project x'\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(opensearch_cluster, "MODULE", module)
    monkeypatch.setattr(opensearch_cluster, "JAR", module / "target" / "missing.jar")
    monkeypatch.setattr(opensearch_cluster, "BUILD_LOG", tmp_path / "build.log")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(OpenSearchUnavailable) as failed:
        opensearch_cluster.build()
    assert "Could not resolve dependencies" in str(failed.value) and "build.log" in str(failed.value)

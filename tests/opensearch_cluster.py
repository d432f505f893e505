"""Real OpenSearch nodes for the tests and the benchmarks, started from the repository's
Maven module `opensearch/` (one JVM per node, loopback only, a small heap).

    from opensearch_cluster import start_cluster
    with start_cluster(nodes=3, base_dir=tmp) as cluster:   # three JVMs, one cluster
        cluster.url                 # http://127.0.0.1:PORT of the first live node
        cluster.nodes[1].kill()     # SIGKILL: a node lost
    # every node stopped here: SIGTERM, then SIGKILL after a grace period

`python tests/opensearch_cluster.py --nodes 1` starts nodes for a developer and prints their
URLs until ^C. Only the standard library is used: the tests that talk to a node use
opensearch-py themselves.

The module is built (`mvn -q -B clean package`, Maven Central) when its jar is missing or older
than its sources; `make test` builds it before pytest runs, so nothing is downloaded while
the tests run. Every failure to get a node is an `OpenSearchUnavailable` with a one-line
cause (no Java, no Maven, a build error, a node that stopped or did not answer in time);
the node's log file is kept and named in the message.
"""
from __future__ import annotations

import atexit
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "opensearch"
JAR = MODULE / "target" / "vnsearch-opensearch-node.jar"
BUILD_LOG = Path(tempfile.gettempdir()) / "vnsearch-opensearch-build.log"
JAVA_17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")
HEAP = "512m"
START_TIMEOUT = 180.0  # seconds for nodes to start and the cluster to form (2 shared cores)
STOP_GRACE = 20.0  # seconds between SIGTERM and SIGKILL
STARTED_LINE = "VNSEARCH-NODE-STARTED"


class OpenSearchUnavailable(RuntimeError):
    """No OpenSearch node could be had; the message is one line naming the cause."""


# ---------------------------------------------------------------- build

def java_home() -> Path:
    """The JDK the nodes run on: VNSEARCH_JAVA_HOME, else Debian's Java 17, else JAVA_HOME,
    else the `java` on PATH."""
    for candidate in (os.environ.get("VNSEARCH_JAVA_HOME"), JAVA_17, os.environ.get("JAVA_HOME")):
        if candidate and (Path(candidate) / "bin" / "java").is_file():
            return Path(candidate)
    java = shutil.which("java")
    if java is None:
        raise OpenSearchUnavailable("Java not found: install a JDK 17 (java) or set VNSEARCH_JAVA_HOME")
    return Path(java).resolve().parent.parent


def _sources_newer_than_jar() -> bool:
    if not JAR.is_file():
        return True
    built = JAR.stat().st_mtime
    sources = [MODULE / "pom.xml", *(MODULE / "src").rglob("*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


def build(force: bool = False) -> Path:
    """The launcher jar, built by Maven first when missing or out of date."""
    if not force and not _sources_newer_than_jar():
        return JAR
    mvn = shutil.which("mvn")
    if mvn is None:
        raise OpenSearchUnavailable("Maven (mvn) not found: it builds the OpenSearch test node (opensearch/)")
    env = dict(os.environ, JAVA_HOME=str(java_home()))
    BUILD_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(BUILD_LOG, "wb") as log:
        done = subprocess.run([mvn, "-q", "-B", "clean", "package"], cwd=MODULE, env=env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if done.returncode != 0 or not JAR.is_file():
        raise OpenSearchUnavailable(f"the Maven build of opensearch/ failed: {_last_error(BUILD_LOG)} (log: {BUILD_LOG})")
    return JAR


def _last_error(log: Path) -> str:
    """The most telling line of a log: its last ERROR/Exception line, else its last line."""
    try:
        lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    for marks in (("did not start",), ("ERROR", "Exception")):
        for line in reversed(lines):
            if any(mark in line for mark in marks):
                return line[:400]
    return lines[-1][:400] if lines else "empty log"


# ---------------------------------------------------------------- processes

_LIVE: set["Node"] = set()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the Python process that started it dies, so
    that no JVM outlives a killed test run (Linux; elsewhere a no-op)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on loopback."""
    probes = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            probes.append(probe)
        return [p.getsockname()[1] for p in probes]
    finally:
        for probe in probes:
            probe.close()


@dataclass(eq=False)
class Node:
    name: str
    http_port: int
    transport_port: int
    home: Path
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, jar: Path, seeds: list[int], managers: list[str], heap: str, extra: dict[str, str]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        tmp = self.home / "tmp"
        tmp.mkdir(exist_ok=True)
        command = [str(java_home() / "bin" / "java"), f"-Xms{heap}", f"-Xmx{heap}",
                   "-XX:+UseSerialGC", "-XX:-HeapDumpOnOutOfMemoryError", "-Dlog4j2.disable.jmx=true",
                   f"-Djava.io.tmpdir={tmp}", "-Dfile.encoding=UTF-8",
                   "-jar", str(jar), "--home", str(self.home), "--name", self.name,
                   "--http-port", str(self.http_port), "--transport-port", str(self.transport_port)]
        if seeds:
            command += ["--seeds", ",".join(f"127.0.0.1:{p}" for p in seeds), "--managers", ",".join(managers)]
        command += [f"-E{key}={value}" for key, value in extra.items()]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True, preexec_fn=_die_with_parent)
        _LIVE.add(self)

    def kill(self) -> None:
        """SIGKILL, as a machine lost: no goodbye to the cluster."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        _LIVE.discard(self)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM (the node closes cleanly), then SIGKILL after `grace` seconds."""
        if self.alive:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        _LIVE.discard(self)

    def started(self) -> bool:
        try:
            return STARTED_LINE in self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False


@atexit.register
def _stop_all() -> None:
    for node in list(_LIVE):
        node.stop(grace=5)


# ---------------------------------------------------------------- cluster

def _get_json(url: str, timeout: float = 10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


@dataclass(eq=False)
class Cluster:
    nodes: list[Node]
    base_dir: Path
    owns_dir: bool = False
    heap: str = HEAP
    stopped: bool = field(default=False)

    @property
    def live_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.alive]

    @property
    def url(self) -> str:
        """The first live node's URL."""
        live = self.live_nodes
        if not live:
            raise OpenSearchUnavailable("no OpenSearch node of the cluster is running")
        return live[0].url

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.live_nodes]

    def health(self, status: str = "yellow", nodes: int | None = None, timeout: float = 60, index: str = "") -> dict:
        """Waits until the cluster (or `index`) is at least `status` with `nodes` nodes;
        the health answer. Raises OpenSearchUnavailable when it is not so in `timeout`."""
        nodes = len(self.live_nodes) if nodes is None else nodes
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            self._check_alive()
            wait = max(1, min(10, int(deadline - time.monotonic())))
            query = f"wait_for_status={status}&wait_for_nodes={nodes}&timeout={wait}s"
            try:
                answer = _get_json(f"{self.url}/_cluster/health/{index}?{query}", timeout=wait + 10)
                if not answer.get("timed_out"):
                    return answer
                last = f"status {answer.get('status')}, {answer.get('number_of_nodes')} node(s)"
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}"
                time.sleep(1)
            except OSError as error:
                last = str(error)
                time.sleep(0.5)
        raise OpenSearchUnavailable(f"the OpenSearch cluster was not {status} with {nodes} node(s) "
                                    f"after {timeout:.0f} s ({last}); logs in {self.base_dir}")

    def _check_alive(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is not None and node in _LIVE:
                _LIVE.discard(node)
                raise OpenSearchUnavailable(f"OpenSearch node {node.name} stopped (exit {node.process.returncode}): "
                                            f"{_last_error(node.log_path)} (log: {node.log_path})")

    def stop(self) -> None:
        """Every node stopped (in parallel: SIGTERM to all, then wait); the data removed when
        the cluster made its own folder (logs included)."""
        if self.stopped:
            return
        self.stopped = True
        for node in self.live_nodes:
            try:
                os.killpg(node.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for node in self.nodes:
            node.stop()
        if self.owns_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_cluster(nodes: int = 1, base_dir: Path | None = None, heap: str = HEAP,
                  timeout: float = START_TIMEOUT, settings: dict[str, str] | None = None) -> Cluster:
    """`nodes` OpenSearch nodes, one JVM each, formed into one cluster (one node:
    `discovery.type=single-node`; several: every node cluster-manager-eligible and data),
    healthy (green, no index yet) with all of them. Each node's data and log lie in
    `base_dir` (a temporary folder, removed on stop, when None)."""
    jar = build()
    owns = base_dir is None
    base = Path(tempfile.mkdtemp(prefix="vnsearch-opensearch-")) if owns else Path(base_dir)
    base.mkdir(parents=True, exist_ok=True)
    ports = free_ports(2 * nodes)
    members = [Node(name=f"n{i + 1}", http_port=ports[2 * i], transport_port=ports[2 * i + 1],
                    home=base / f"n{i + 1}", log_path=base / f"n{i + 1}.log") for i in range(nodes)]
    cluster = Cluster(members, base, owns_dir=owns, heap=heap)
    seeds = [n.transport_port for n in members] if nodes > 1 else []
    try:
        for node in members:
            node.start(jar, seeds, [n.name for n in members], heap, settings or {})
        deadline = time.monotonic() + timeout
        for node in members:
            while not node.started():
                cluster._check_alive()
                if time.monotonic() > deadline:
                    raise OpenSearchUnavailable(f"OpenSearch node {node.name} did not start in {timeout:.0f} s "
                                                f"({_last_error(node.log_path)}; log: {node.log_path})")
                time.sleep(0.2)
        cluster.health("green", nodes, timeout=max(10.0, deadline - time.monotonic()))
    except BaseException:
        owns_dir, cluster.owns_dir = cluster.owns_dir, False  # keep the logs of a failed start
        cluster.stop()
        if owns_dir:
            print(f"OpenSearch logs kept in {base}", file=sys.stderr)
        raise
    return cluster


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Start OpenSearch test nodes until ^C.")
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="data and logs (default: a temporary folder)")
    parser.add_argument("--heap", default=HEAP)
    args = parser.parse_args(argv)
    try:
        cluster = start_cluster(args.nodes, args.dir, heap=args.heap)
    except OpenSearchUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    with cluster:
        for node in cluster.nodes:
            print(f"{node.name} {node.url} pid={node.process.pid} log={node.log_path}", flush=True)
        try:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            while cluster.live_nodes:
                time.sleep(1)
        except (KeyboardInterrupt, SystemExit):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

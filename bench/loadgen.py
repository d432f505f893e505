"""A bounded HTTP load client for a local server: N threads, keep-alive connections,
a fixed list of paths taken in turn, stopping at a time limit or a request count,
whichever comes first. Loopback only.

    .venv/bin/python bench/loadgen.py --port 5000 --paths-file paths.txt --concurrency 8 --seconds 30
"""
from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_summary  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from search.config import is_loopback  # noqa: E402

MAX_REQUESTS = 1_000_000
MAX_SECONDS = 600


def run_load(host: str, port: int, paths: Sequence[str], concurrency: int = 8, seconds: float = 30.0,
             max_requests: int = MAX_REQUESTS, timeout: float = 30.0, warmup: int = 0,
             fresh_connections: bool = False) -> dict:
    """Hit `paths` (in turn, each thread starting at its own offset) until `seconds` pass or
    `max_requests` were sent. Returns requests/s, latency percentiles (ms) of completed
    requests, status counts and errors. `warmup` requests are sent first and not counted.
    `fresh_connections`: a new connection for every request instead of keep-alive, so that
    every worker process of a server accepts some (to warm them all up)."""
    if not is_loopback(host):
        raise ValueError(f"the load client only targets loopback addresses, not {host!r}")
    if not paths:
        raise ValueError("no paths to request")
    if not 1 <= concurrency <= 256:
        raise ValueError("concurrency must be within 1..256")
    seconds = min(float(seconds), MAX_SECONDS)
    max_requests = min(int(max_requests), MAX_REQUESTS)

    for i in range(warmup):
        _request_once(host, port, paths[i % len(paths)], timeout)

    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    body_bytes = 0
    deadline = time.perf_counter() + seconds

    def take() -> bool:
        nonlocal issued
        with lock:
            if issued >= max_requests or time.perf_counter() >= deadline:
                return False
            issued += 1
            return True

    def worker(offset: int) -> None:
        nonlocal body_bytes
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        position = offset
        mine: list[float] = []
        my_statuses: Counter = Counter()
        my_errors: Counter = Counter()
        my_bytes = 0
        while take():
            path = paths[position % len(paths)]
            position += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept": "application/json"})
                response = connection.getresponse()
                my_bytes += len(response.read())
                mine.append((time.perf_counter() - started) * 1000)
                my_statuses[response.status] += 1
                if fresh_connections or response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException) as error:
                my_errors[type(error).__name__] += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.close()
        with lock:
            latencies.extend(mine)
            statuses.update(my_statuses)
            errors.update(my_errors)
            body_bytes += my_bytes

    step = max(1, len(paths) // concurrency)
    threads = [threading.Thread(target=worker, args=(i * step,), daemon=True) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    completed = len(latencies)
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "requests": completed,
        "errors": dict(errors),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "ok": statuses.get(200, 0),
        "rps": round(completed / elapsed, 2) if elapsed else 0.0,
        "latency_ms": latency_summary(latencies),
        "mean_body_bytes": round(body_bytes / completed) if completed else 0,
    }


def _request_once(host: str, port: int, path: str, timeout: float) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths-file", type=Path, required=True, help="one request path a line")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
    args = parser.parse_args(argv)
    paths = [line.strip() for line in args.paths_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = run_load(args.host, args.port, paths, args.concurrency, args.seconds, args.max_requests)
    print(json.dumps(result, indent=1))
    return 0 if result["requests"] and not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""`serve`'s production server: gunicorn's master forks and watches N worker processes, and each
worker serves with waitress on the shared listening socket, loading its own app (and its own
SearchIndex, which follows new generations by itself).

Why waitress inside gunicorn rather than gunicorn's `gthread` workers: a gthread worker reads a
request's headers in one of its threads with a blocking read and no deadline, so 150 half-open
connections (tests/test_server_limits.py) take every thread and no visitor is answered; waitress
reads connections asynchronously and closes those idle past `channel_timeout`."""
from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading

from gunicorn.app.base import BaseApplication
from gunicorn.workers.base import Worker

# waitress's own limits in every worker, set deliberately (README, "Serving"); its defaults let
# 100 idle sockets hold every connection for two minutes.
SERVER_LIMITS = {
    "connection_limit": 1000,  # open sockets at once per worker; more wait in the listen backlog
    "channel_timeout": 10,  # seconds a connection may sit idle or half-sent before it is closed
    "cleanup_interval": 2,  # seconds between sweeps that close those connections
    "asyncore_use_poll": True,  # poll(), not select(): select() fails past 1024 file descriptors
}
# gunicorn's master: the listen backlog, and how long a silent or stopping worker lives.
MASTER_OPTIONS = {
    "backlog": 2048,  # connections the kernel queues before a worker accepts them
    "timeout": 60,  # seconds without a heartbeat before the master kills and replaces a worker
    "graceful_timeout": 10,  # seconds a worker has to stop on SIGTERM
}


class WaitressWorker(Worker):
    """A gunicorn worker that serves its app with waitress; a thread keeps the heartbeat."""

    def handle_exit(self, sig, frame):  # SIGTERM: stop now (waitress has no drain of its own)
        self.alive = False
        sys.exit(0)

    def run(self):
        import waitress

        server = waitress.create_server(self.wsgi, sockets=[listener.sock for listener in self.sockets],
                                        threads=self.cfg.threads, ident="vnsearch",
                                        **self.app.limits)
        heartbeat = threading.Thread(target=self._beat, daemon=True)
        heartbeat.start()
        try:
            server.run()
        finally:
            self.alive = False
            server.close()

    def _beat(self):
        interval = max(self.timeout / 4, 0.5)
        while self.alive:
            if self.ppid != os.getppid():  # the master is gone: do not outlive it
                self.log.info("Parent changed, shutting down: %s", self)
                os.kill(os.getpid(), 15)
                return
            self.notify()
            threading.Event().wait(interval)


class VnsearchServer(BaseApplication):
    """gunicorn run from Python: no command line of its own, the app made in every worker."""

    def __init__(self, index_dir, options: dict, limits: dict | None = None, opensearch: str | None = None):
        self.index_dir = index_dir
        self.opensearch = opensearch
        self.options = options
        self.limits = {**SERVER_LIMITS, **(limits or {})}
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Runs in each worker after the fork: its own open index (the modules and pyvi's model
        # were loaded once in the master, by `preload`).
        from search.errors import VnsearchError
        from web import create_app

        # Each worker keeps the whole posting cache (search/engine.py): any worker may be asked
        # any query, and an LRU smaller than the queries' working set never hits. Given half
        # each, two workers at 107k read every posting list again and served fewer requests
        # than one (bench/RESULTS_serving.md).
        app = create_app(index_dir=self.index_dir, opensearch=self.opensearch)
        try:
            app.extensions["vnsearch_index"].get().warm_up()  # the first visitor does not wait for pyvi
        except VnsearchError as error:
            logging.getLogger("vnsearch").warning("cảnh báo: %s", error)
        return app


def usable_cpus() -> list[int]:
    """The CPUs this process may run on (a container's or taskset's share, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def default_workers() -> int:
    return len(usable_cpus()) or 1


def pin_to_a_free_cpu(arbiter, worker) -> None:
    """gunicorn's post_fork, in a new worker: with as many workers as usable CPUs, run on a CPU
    no other worker holds (a replaced worker takes the one its predecessor left). A worker's
    threads then hand the GIL over on one core, and two workers do not crowd one core while
    the other idles: at 107k articles, two pinned workers served 12–15 % more requests than
    two free ones in the same run (bench/RESULTS_serving.md). With fewer workers than CPUs none is pinned: one
    worker's numpy work runs beside its Python on another core."""
    if not hasattr(os, "sched_setaffinity"):
        return
    cpus = usable_cpus()
    if arbiter.num_workers != len(cpus):
        return
    taken: set[int] = set()
    for pid in arbiter.WORKERS:  # the live workers, as this child's copy of the master knew them
        try:
            held = os.sched_getaffinity(pid)
        except OSError:
            continue
        if len(held) == 1:
            taken |= held
    free = [cpu for cpu in cpus if cpu not in taken]
    if free:
        os.sched_setaffinity(0, {free[0]})


def options_for(host: str, port: int, workers: int, threads: int, pin: bool = True) -> dict:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        **MASTER_OPTIONS,
        **({"post_fork": pin_to_a_free_cpu} if pin else {}),
        "worker_class": f"{__name__}.WaitressWorker",
        "bind": [bind],
        "workers": workers,
        "threads": threads,
        "accesslog": None,  # the app logs one line a request itself (web/__init__.py)
        "loglevel": "warning",  # gunicorn's start-up lines aside; its errors still reach stderr
        "proc_name": "vnsearch",
    }


M_ARENA_MAX = -8  # glibc's mallopt parameter
MALLOC_ARENAS = 2  # glibc's default is 8 per core: with 16 threads, freed numpy arrays stay in 16 arenas


def limit_malloc_arenas() -> None:
    """Fewer malloc arenas (inherited by the workers): a worker's memory stays near what its
    requests use at once instead of growing with every thread's leftovers. Nothing on a libc
    without mallopt."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError):
        pass


def preload() -> None:
    """In the master, before the fork: the modules and pyvi's model every worker needs, loaded
    once and shared copy-on-write; a worker is then ready as soon as it has opened its index
    (memory-mapped arrays: a tenth of a second at 107k articles)."""
    import web  # noqa: F401
    from search.analysis import syllables

    syllables("khởi động")


def run(index_dir, host: str, port: int, workers: int, threads: int, opensearch: str | None = None,
        pin: bool = True) -> None:
    limit_malloc_arenas()
    preload()
    VnsearchServer(index_dir, options_for(host, port, workers, threads, pin), opensearch=opensearch).run()

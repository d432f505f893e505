"""Named points of the write path where a test can stop a rebuild or update (tests only).

Tests that kill or race a real `manage.py rebuild` or `update` must reach their moment
whatever the machine's speed, so the process under test says when it is there:

    VNSEARCH_TEST_PAUSE_AT=<point>      the point to stop at (one of POINTS)
    VNSEARCH_TEST_PAUSE_MARKER=<file>   written (atomically, "<pid> <point>") on arrival

The first time the process arrives there it writes the marker, then waits: until it is killed,
or until the test deletes the marker, and then it goes on (and stops there no more). Without
the variables `checkpoint` returns at once; they are read once, at import. Nothing but tests
sets them.
"""
from __future__ import annotations

import os
import time

POINTS = (
    "start",    # the container lock is held and the writer is open (rebuild: in a new generation)
    "reading",  # the first ANALYSIS_BATCH articles are in the writer, more may follow; with
                # procs > 1 they came back from the worker processes, which are running
    "commit",   # inside a Whoosh commit: the segment's files are written, its TOC is not
    "positions",  # the commit landed (an update is live), the positions part is not written yet
    "copies",  # the positions part is written, the groups of republished copies (store/copies.py) are not
)
BEFORE_COMMIT = POINTS[:POINTS.index("positions")]  # a kill there leaves no trace in the index
PAUSE_AT = os.environ.get("VNSEARCH_TEST_PAUSE_AT") or None
PAUSE_MARKER = os.environ.get("VNSEARCH_TEST_PAUSE_MARKER") or None
_POLL_SECONDS = 0.01
_paused = False


def checkpoint(point: str) -> None:
    """Stop at `point` when a test asked for it (see the module docstring); else nothing."""
    global _paused
    if point != PAUSE_AT or PAUSE_MARKER is None or _paused:
        return
    _paused = True
    temporary = f"{PAUSE_MARKER}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()} {point}\n")
    os.replace(temporary, PAUSE_MARKER)
    while os.path.exists(PAUSE_MARKER):
        time.sleep(_POLL_SECONDS)

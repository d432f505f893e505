"""A least-recently-used cache bounded by the total cost of what it holds (postings, bytes),
shared by a server's threads. What it holds is read-only: arrays put in it are frozen."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable

import numpy as np


class BoundedLRU:
    """Values kept by key until their summed `cost` passes `limit`; then the least recently
    used go first (the newest one always stays)."""

    def __init__(self, limit: int, cost: Callable[[object], int]):
        self.limit = limit
        self._cost = cost
        self._held: OrderedDict = OrderedDict()
        self.total = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        """The value kept for `key`, or None."""
        with self._lock:
            found = self._held.get(key)
            if found is not None:
                self._held.move_to_end(key)
            return found

    def put(self, key: Hashable, value) -> None:
        if self.limit <= 0:
            return
        _freeze(value)
        with self._lock:
            if key in self._held:
                return
            self._held[key] = value
            self.total += self._cost(value)
            while self.total > self.limit and len(self._held) > 1:
                _, dropped = self._held.popitem(last=False)
                self.total -= self._cost(dropped)

    def __len__(self) -> int:
        return len(self._held)


def _freeze(value) -> None:
    """Make the arrays of a value (an array, or tuples and lists of them) read-only, so that a
    caller writing into a kept array fails instead of changing what later callers get."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, (tuple, list)):
        for item in value:
            _freeze(item)


def nbytes(value) -> int:
    """The bytes of the arrays of a value (an array, or tuples and lists of them)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(nbytes(item) for item in value)
    return 0

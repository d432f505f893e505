"""The bounded LRU the posting cache and the kept phrase occurrences share (search/lru.py)."""
import threading

import numpy as np
import pytest

from search.lru import BoundedLRU, nbytes


def test_the_least_recently_used_go_first_once_the_cost_passes_the_limit():
    cache = BoundedLRU(10, cost=len)
    cache.put("a", "xxxx")
    cache.put("b", "xxxx")
    assert cache.get("a") == "xxxx"  # now "b" is the least recently used
    cache.put("c", "xxxx")
    assert cache.get("b") is None and cache.get("a") == "xxxx" and cache.get("c") == "xxxx"
    assert cache.total == 8 and len(cache) == 2


def test_the_newest_value_stays_even_when_it_alone_passes_the_limit():
    cache = BoundedLRU(3, cost=len)
    cache.put("a", "xx")
    cache.put("big", "xxxxxxxx")
    assert cache.get("big") == "xxxxxxxx" and cache.get("a") is None and len(cache) == 1


def test_a_limit_of_zero_keeps_nothing():
    cache = BoundedLRU(0, cost=len)
    cache.put("a", "x")
    assert cache.get("a") is None and len(cache) == 0


def test_kept_arrays_are_read_only_and_counted_in_bytes():
    cache = BoundedLRU(1 << 20, cost=nbytes)
    ids, flags = np.arange(10, dtype=np.int64), np.zeros(10, dtype=bool)
    cache.put("k", (ids, [flags]))
    assert cache.total == 90
    kept_ids, (kept_flags,) = cache.get("k")
    with pytest.raises(ValueError):
        kept_ids[0] = 5
    with pytest.raises(ValueError):
        kept_flags[0] = True


def test_threads_putting_and_getting_keep_the_total_right():
    cache = BoundedLRU(1000, cost=len)

    def work(offset):
        for i in range(2000):
            key = (offset + i) % 300
            if cache.get(key) is None:
                cache.put(key, "x" * (1 + key % 7))

    threads = [threading.Thread(target=work, args=(n * 37,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.total == sum(len(cache.get(k) or "") for k in range(300)) <= 1000 + 7

"""The interpreter's own costs, measured: time in the cyclic garbage collector.

prometheus_client reports how many collections ran, not how long they took; a worker holding
thousands of open exam pages has a large heap, and a full collection walks all of it while
every request waits. `examhall_gc_seconds_total` says what that costs (bench/README.md §2).

The collector's callback only adds to plain floats: it may run inside any allocation, even
one made while prometheus_client holds its (non-reentrant) lock, so it never touches a metric.
`flush()`, called after each request (Observe), moves what it counted into the counter.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from prometheus_client import Counter

GC_SECONDS = Counter(
    "examhall_gc_seconds_total",
    "Time this process spent in the cyclic garbage collector, by generation collected.",
    ["generation"],
)

_children = [GC_SECONDS.labels(str(g)) for g in range(3)]
_pending = [0.0, 0.0, 0.0]  # seconds per generation not yet in the counter
_started = [0.0]


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        _pending[info["generation"]] += time.perf_counter() - _started[0]


def watch_gc() -> None:
    """Count the collector's time from now on (once per process, however often called)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def tune_collector(young: int) -> None:
    """Collect the youngest generation after `young` allocations (0: leave Python's own)."""
    if young:
        _, middle, old = gc.get_threshold()
        gc.set_threshold(young, middle, old)


def flush() -> None:
    """Move the collector's time counted since the last flush into the counter."""
    for generation in (0, 1, 2):
        seconds = _pending[generation]
        if seconds:
            _pending[generation] = 0.0
            _children[generation].inc(seconds)

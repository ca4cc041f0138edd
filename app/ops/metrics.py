"""The Prometheus metrics (prometheus_client). Names and meanings are listed in the README.

With several workers (`examhall serve --workers N`) each is a process of its own: `serve` then
points PROMETHEUS_MULTIPROC_DIR at a fresh directory, every worker writes its values there,
and whichever worker answers /metrics reports the sum over all of them.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from sqlalchemy import Engine, event

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Latency buckets around the targets that matter: 50 ms, the 200 ms p99 of a sitting, 1 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "examhall_http_requests_total",
    "HTTP requests answered, by route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "examhall_http_request_duration_seconds",
    "Time from a request's arrival to its last byte, waiting for the cap included.",
    ["method", "route"],
    buckets=BUCKETS,
)
IN_FLIGHT = Gauge(
    "examhall_http_requests_in_flight",
    "Requests received and not yet answered (working or waiting for the cap).",
    multiprocess_mode="livesum",
)
WORKING = Gauge(
    "examhall_requests_working",
    "Requests holding one of the cap's slots (EXAMHALL_MAX_CONCURRENT_REQUESTS).",
    multiprocess_mode="livesum",
)
CAP = Gauge(
    "examhall_request_cap",
    "The cap on requests working on the database at once (summed over workers).",
    multiprocess_mode="livesum",
)
POOL_IN_USE = Gauge(
    "examhall_db_pool_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "examhall_db_pool_size",
    "Database connections the pool keeps (summed over workers).",
    multiprocess_mode="livesum",
)
POOL_OPENED = Counter(
    "examhall_db_connections_opened_total",
    "Database connections opened: flat under load when the pool fits the cap (no churn).",
)
ANSWERS = Counter("examhall_answers_saved_total", "Answer saves acknowledged (committed) with 200.")
HEARTBEATS = Counter(
    "examhall_heartbeats_total",
    "Clock heartbeats, by whether they wrote (presence due, or time ran out) or only read.",
    ["wrote"],
)
SWEPT = Counter("examhall_sweeper_submitted_total", "Attempts submitted by the sweeper on timeout.")
SWEEP_LAG = Gauge(
    "examhall_sweeper_lag_seconds",
    "After the last sweep: how long ago the oldest attempt still awaiting it ran out of time "
    "(0 when none waits). Grows when the sweeper falls behind.",
    multiprocess_mode="max",
)
SWEEP_SECONDS = Histogram(
    "examhall_sweeper_round_seconds",
    "Duration of one sweep round.",
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0),
)


# The methods that get a series of their own; any other a client sends is counted as OTHER
# (uvicorn's h11 parser, the fallback without httptools, accepts any token as a method).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Labelled series are never removed, so the children found stay the registry's own.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency. The labelled series are looked up once per
    method, route and status, not on every request (`labels()` takes a lock and builds keys).
    The route is a template or "unmatched" and the status the app's, never the client's."""
    if method not in METHODS:
        method = "OTHER"
    key = (method, route, status)
    series = _children.get(key)
    if series is None:
        series = _children[key] = (
            REQUESTS.labels(method, route, str(status)),
            LATENCY.labels(method, route),
        )
    series[0].inc()
    series[1].observe(seconds)


def watch_pool(engine: Engine, size: int) -> None:
    """Keep the pool gauges current from the pool's own events."""
    POOL_SIZE.set(size)

    @event.listens_for(engine, "connect")
    def _opened(*_: Any) -> None:
        POOL_OPENED.inc()

    @event.listens_for(engine, "checkout")
    def _out(*_: Any) -> None:
        POOL_IN_USE.inc()

    @event.listens_for(engine, "checkin")
    def _in(*_: Any) -> None:
        POOL_IN_USE.dec()


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, over every worker when there are several."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST

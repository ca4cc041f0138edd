"""Operations: /metrics and who may read it, request ids, JSON logs, security headers, the pool."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.pool import QueuePool
from starlette.requests import Request

from app.auth import cookies
from app.config import Settings
from app.db import POOL_SPARE, make_engine
from app.ops.api import allowed
from app.ops.logs import JsonFormatter, request_id
from tests.conftest import TEST_SECRET, make_settings

TOKEN = "metrics-token-0123456789abcdefghij"


def _request(host: str, headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "client": (host, 1234), "headers": raw, "method": "GET"})


def test_metrics_are_for_this_host_or_the_token(settings: Settings) -> None:
    assert allowed(_request("127.0.0.1"), settings)
    assert allowed(_request("::1"), settings)
    assert not allowed(_request("203.0.113.9"), settings)
    with_token = settings.model_copy(update={"metrics_token": cookies_secret(TOKEN)})
    assert allowed(_request("203.0.113.9", {"Authorization": f"Bearer {TOKEN}"}), with_token)
    assert not allowed(_request("203.0.113.9", {"Authorization": "Bearer nope"}), with_token)
    assert not allowed(_request("127.0.0.1"), with_token)  # the token, once set, is required


def cookies_secret(value: str):  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    return SecretStr(value)


def test_metrics_count_requests_by_route_template(app: FastAPI, client: TestClient) -> None:
    assert client.get("/metrics").status_code == 403  # the test client is not on loopback
    app.state.settings = app.state.settings.model_copy(
        update={"metrics_token": cookies_secret(TOKEN)}
    )
    client.get("/healthz")
    client.get("/api/v1/sessions/123456/journal")  # ids in the path are not labels
    body = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'examhall_http_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert 'route="/api/v1/sessions/{session_id}/journal"' in body
    assert "123456" not in body
    for name in (
        "examhall_http_request_duration_seconds_bucket",
        "examhall_http_requests_in_flight",
        "examhall_requests_working",
        "examhall_request_cap",
        "examhall_db_pool_in_use",
        "examhall_answers_saved_total",
        "examhall_sweeper_lag_seconds",
    ):
        assert name in body


def test_every_response_carries_a_request_id_and_a_good_one_is_kept(client: TestClient) -> None:
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-42.abc"})
    assert kept.headers["x-request-id"] == "lb-42.abc"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id;" * 10})
    assert replaced.headers["x-request-id"] not in ("", "bad id")


def test_api_answers_are_not_cached_and_carry_the_security_headers(client: TestClient) -> None:
    response = client.get("/api/v1/attempt")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "cache-control" not in client.get("/healthz").headers


def test_json_log_lines_carry_the_request_id_and_extra_fields() -> None:
    record = logging.LogRecord("examhall.access", logging.INFO, "x", 1, "GET %s", ("/a",), None)
    record.status = 200
    token = request_id.set("abc-1")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["msg"] == "GET /a" and line["request_id"] == "abc-1" and line["status"] == 200
    assert line["level"] == "info" and line["logger"] == "examhall.access"
    assert line["ts"].endswith("Z")


def test_the_pool_holds_the_cap_and_the_sweeper_and_never_overflows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}", request_cap=6)
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.size() == 6 + POOL_SPARE and pool._max_overflow == 0
    engine.dispose()


def test_a_cached_sign_in_cookie_still_expires(
    client: TestClient, settings: Settings, monkeypatch: object
) -> None:
    from starlette.responses import Response

    response = Response()
    cookies.issue(response, settings, cookies.CANDIDATE, {"attempt": 1})
    raw = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    request = _request("127.0.0.1", {"Cookie": f"{cookies.CANDIDATE.name}={raw}"})
    assert cookies.read(request, settings, cookies.CANDIDATE) == {"attempt": 1}
    assert cookies.read(request, settings, cookies.CANDIDATE) == {"attempt": 1}  # cached
    later = time.time() + settings.candidate_session_minutes * 60 + 1
    monkeypatch.setattr(cookies.time, "time", lambda: later)  # type: ignore[attr-defined]
    assert cookies.read(request, settings, cookies.CANDIDATE) is None
    other = make_settings(str(settings.database_url), secret_key=TEST_SECRET[::-1])
    monkeypatch.undo()  # type: ignore[attr-defined]
    assert cookies.read(request, other, cookies.CANDIDATE) is None  # another key: not ours


def test_the_collectors_time_is_counted_and_reaches_the_metrics(
    app: FastAPI, client: TestClient
) -> None:
    """A full collection's time lands in examhall_gc_seconds_total{generation="2"} at the next
    request's end (the callback itself only adds to a float: it may run inside any allocation,
    prometheus_client's own locked ones included)."""
    import gc

    from app.ops import runtime

    def seconds(generation: int) -> float:
        value = runtime.GC_SECONDS.labels(str(generation))._value.get()
        return float(value)

    runtime.watch_gc()
    runtime.watch_gc()  # once, however often called
    assert gc.callbacks.count(runtime._on_gc) == 1
    before = seconds(2)
    garbage = [[i] for i in range(50_000)]  # something for the collector to walk
    gc.collect()
    del garbage
    assert seconds(2) == before  # not yet: counted, not reported, inside the collection
    client.get("/healthz")
    assert seconds(2) > before
    app.state.settings = app.state.settings.model_copy(
        update={"metrics_token": cookies_secret(TOKEN)}
    )
    body = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'examhall_gc_seconds_total{generation="2"}' in body


def test_the_young_generations_threshold_is_a_setting_and_zero_leaves_pythons() -> None:
    import gc

    from app.ops import runtime

    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        runtime.tune_collector(0)
        assert gc.get_threshold() == (700, 10, 10)
        runtime.tune_collector(50_000)
        assert gc.get_threshold() == (50_000, 10, 10)
        assert Settings.model_fields["gc_young_threshold"].default == 50_000  # a server's
    finally:
        gc.set_threshold(*saved)


class _Kept(logging.Handler):
    """Keeps each line as the server's handler would write it, formatted when emitted."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_each_request_writes_one_access_line_with_its_fields(client: TestClient) -> None:
    kept = _Kept()
    access = logging.getLogger("examhall.access")
    level = access.level
    access.addHandler(kept)
    access.setLevel(logging.INFO)
    try:
        response = client.get("/api/v1/sessions/123456/journal")
    finally:
        access.removeHandler(kept)
        access.setLevel(level)
    [line] = [json.loads(text) for text in kept.lines]
    assert line["msg"] == f"GET /api/v1/sessions/123456/journal {response.status_code}"
    assert line["method"] == "GET" and line["status"] == response.status_code
    assert line["path"] == "/api/v1/sessions/123456/journal"
    assert line["route"] == "/api/v1/sessions/{session_id}/journal"
    assert line["request_id"] == response.headers["x-request-id"]
    assert isinstance(line["ms"], float) and line["client"] == "testclient"


def test_requests_are_counted_one_each_per_route_and_status(client: TestClient) -> None:
    from prometheus_client import REGISTRY

    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    latency = {"method": "GET", "route": "/healthz"}

    def counts() -> tuple[float, float]:
        total = REGISTRY.get_sample_value("examhall_http_requests_total", labels) or 0.0
        timed = REGISTRY.get_sample_value("examhall_http_request_duration_seconds_count", latency)
        return total, timed or 0.0

    before = counts()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    after = counts()
    assert (after[0] - before[0], after[1] - before[1]) == (3.0, 3.0)


def test_fastapis_opentelemetry_is_off_and_costs_a_request_no_lookup(
    client: TestClient, monkeypatch: object
) -> None:
    """examhall's operations are Prometheus and JSON logs: FastAPI's own OpenTelemetry hooks,
    on by default, looked up the global providers on every request."""
    from opentelemetry import _logs, metrics, trace

    looked: list[str] = []
    for module, name in (
        (trace, "get_tracer_provider"),
        (metrics, "get_meter_provider"),
        (_logs, "get_logger_provider"),
    ):
        original = getattr(module, name)

        def spy(*a: object, _o: object = original, _n: str = name) -> object:
            looked.append(_n)
            return _o(*a)  # type: ignore[operator]

        monkeypatch.setattr(module, name, spy)  # type: ignore[attr-defined]
    assert client.get("/healthz").status_code == 200
    assert looked == []


def test_a_hot_paths_work_runs_on_its_pool_in_the_requests_context() -> None:
    import asyncio
    import threading

    from app.deps import in_thread

    def work(x: int) -> tuple[int, str | None, str]:
        return x * 2, request_id.get(), threading.current_thread().name

    def fails() -> None:
        raise LookupError("from the thread")

    async def main() -> tuple[tuple[int, str | None, str], BaseException | None]:
        token = request_id.set("rid-7")
        try:
            done = await in_thread(work, 21)
            try:
                await in_thread(fails)
            except LookupError as exc:
                return done, exc
            return done, None
        finally:
            request_id.reset(token)

    (value, rid, thread), error = asyncio.run(main())
    assert value == 42 and rid == "rid-7" and thread.startswith("examhall-hot")
    assert isinstance(error, LookupError) and str(error) == "from the thread"


def test_the_timestamp_is_the_records_own_second_and_millisecond() -> None:
    formatter = JsonFormatter()
    for created in (1_765_000_000.25, 1_765_000_000.999, 1_765_000_001.0, 1_765_000_000.5):
        record = logging.LogRecord("examhall", logging.INFO, "x", 1, "m", None, None)
        record.created, record.msecs = created, (created - int(created)) * 1000
        expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(created)))
        assert json.loads(formatter.format(record))["ts"] == f"{expected}.{int(record.msecs):03d}Z"


def test_a_cancelled_hot_path_ends_only_when_its_work_has() -> None:
    """As anyio's run_sync: cancelling the request while its unit of work runs does not free
    its slot of the cap (or answer it) before the work, which may commit, has ended."""
    import asyncio
    import threading

    from app.deps import in_thread

    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def work() -> None:
        started.set()
        release.wait(10)
        order.append("work ended")

    async def main() -> None:
        task = asyncio.create_task(in_thread(work))
        while not started.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        await asyncio.sleep(0.05)
        assert not task.done()  # cancelled, still waiting for its work
        task.cancel()  # a second cancellation changes nothing
        await asyncio.sleep(0.05)
        assert not task.done()
        release.set()
        try:
            await task
        except asyncio.CancelledError:
            order.append("request ended")

    asyncio.run(main())
    assert order == ["work ended", "request ended"]


def test_work_not_yet_started_is_dropped_when_its_request_is_cancelled() -> None:
    import asyncio
    from concurrent.futures import Future

    from app.deps import _finished

    async def main() -> bool:
        work: Future[None] = Future()  # queued, not running
        await _finished(work, asyncio.wrap_future(work))
        return work.cancelled()

    assert asyncio.run(main())


def test_a_method_no_route_knows_is_counted_as_other() -> None:
    from prometheus_client import REGISTRY

    from app.ops.metrics import observe_request

    labels = {"method": "OTHER", "route": "unmatched", "status": "405"}
    before = REGISTRY.get_sample_value("examhall_http_requests_total", labels) or 0.0
    observe_request("BREW", "unmatched", 405, 0.001)
    observe_request("X" * 40, "unmatched", 405, 0.001)
    assert REGISTRY.get_sample_value("examhall_http_requests_total", labels) == before + 2
    assert (
        REGISTRY.get_sample_value("examhall_http_requests_total", {**labels, "method": "BREW"})
        is None
    )


def test_the_apps_own_dependencies_cost_no_thread_hop() -> None:
    """FastAPI runs a sync dependency on its thread pool: reading the app's settings, clock or
    call must stay on the event loop."""
    import inspect

    from app import deps

    for dependency in (deps.get_settings_dep, deps.get_clock, deps.get_call):
        assert inspect.iscoroutinefunction(dependency), dependency.__name__

"""The cap on database-bound requests per worker."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app.limits import BodyLimit, ConcurrencyLimit

NOTHING: Any = None  # receive and send: the inner app here never calls them


def test_requests_over_the_cap_wait_and_all_complete() -> None:
    state = {"now": 0, "peak": 0, "done": 0}

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.01)
        state["now"] -= 1
        state["done"] += 1

    async def main() -> None:
        app = ConcurrencyLimit(inner, limit=3)
        calls = [
            app({"type": "http", "path": "/api/v1/attempt"}, NOTHING, NOTHING) for _ in range(20)
        ]
        await asyncio.gather(*calls)
        assert (state["peak"], state["done"]) == (3, 20)
        state["peak"] = 0
        await asyncio.gather(
            *[app({"type": "http", "path": "/healthz"}, NOTHING, NOTHING) for _ in range(10)]
        )
        assert state["peak"] == 10  # probes are never held back

    # A thread of its own: the browser tests' Playwright keeps a loop running on this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


def _drive(app: Any, scope: dict[str, Any], chunks: list[bytes], gap: float = 0) -> tuple[int, Any]:
    """Run an ASGI app with a body sent in chunks; the status and what the app read."""
    seen: dict[str, Any] = {"status": None, "read": None}

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen["read"] = message["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def main() -> None:
        pending = list(chunks)

        async def receive() -> dict[str, Any]:
            if not pending:
                await asyncio.sleep(3600)
            await asyncio.sleep(gap)
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]

        await app(inner, scope, receive, send)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()
    return seen["status"], seen["read"]


def _scope(path: str = "/api/v1/attempt/answers/1", length: int | None = None) -> dict[str, Any]:
    headers = [(b"content-length", str(length).encode())] if length is not None else []
    return {"type": "http", "method": "PUT", "path": path, "headers": headers}


def _limited(max_bytes: int, timeout: float, **larger: int) -> Any:
    return lambda inner, scope, receive, send: BodyLimit(
        inner, max_bytes, timeout, {k.replace("_", "/"): v for k, v in larger.items()}
    )(scope, receive, send)


def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    status, read = _drive(_limited(100, 1), _scope(), [b"abc", b"def"])
    assert (status, read) == (200, b"abcdef")


def test_a_declared_or_streamed_body_over_the_limit_is_a_413_before_the_app_runs() -> None:
    assert _drive(_limited(100, 1), _scope(length=101), [b"x"]) == (413, None)
    assert _drive(_limited(100, 1), _scope(length=-1), [b"x"])[0] == 413  # not a number
    assert _drive(_limited(100, 1), _scope(), [b"x" * 60, b"x" * 41]) == (413, None)
    assert _drive(_limited(100, 1), _scope(), [b"x" * 60, b"x" * 40]) == (200, b"x" * 100)


def test_a_body_that_stops_arriving_is_a_408() -> None:
    assert _drive(_limited(100, 0.2), _scope(), [b"x", b"y"], gap=0.5) == (408, None)


def _post(port: int, body: bytes) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # answered before read
        conn.request("POST", "/api/v1/auth/candidate", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.getheader("content-type", ""), response.read()


def _get(port: int, path: str) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.getheader("content-type", ""), response.read()


def test_slow_uploads_hold_no_database_slot_and_are_cut_off(tmp_path: Any) -> None:
    """Against a real server: more trickling uploads than there are slots, and the probes and
    a real request still answer at once; each trickler gets its 408."""
    import socket
    import threading
    import time

    import uvicorn

    from app.main import create_app
    from app.migrate import upgrade
    from tests.conftest import make_settings

    db_url = f"sqlite:///{tmp_path / 'slow.db'}"
    upgrade(db_url)
    settings = make_settings(db_url, body_timeout_seconds=2.0)
    app = create_app(settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    slow: list[socket.socket] = []
    try:
        for _ in range(app.state.load.limit * 3):
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(
                b"POST /api/v1/auth/candidate HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
            )
            slow.append(conn)
        time.sleep(0.5)
        started = time.monotonic()
        sign_in = _post(port, b'{"candidate_number": "N1", "access_code": "ABCDEFGH"}')
        assert sign_in[0] == 401  # reached the database, and answered
        assert time.monotonic() - started < 1.5
        assert app.state.load.in_flight < app.state.load.limit  # no trickler holds a slot
        ready = _get(port, "/readyz")
        assert ready[0] == 200 and json.loads(ready[2])["waiting"] == 0
        huge = _post(port, b"x" * (settings.max_body_bytes + 1))
        assert huge[0] == 413
        assert huge[1] == "application/problem+json"
        slow[0].settimeout(5)
        assert slow[0].recv(200).startswith(b"HTTP/1.1 408")
    finally:
        for conn in slow:
            conn.close()
        server.should_exit = True
        thread.join(timeout=10)

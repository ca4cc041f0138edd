"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task and a stream per request).

- SecurityHeaders: the page's security headers, and no-store on the API and the console.
- Observe (outermost): the request id, the metrics and one JSON access-log line per request.
- Working (inside the cap): counts the requests holding a slot of the cap.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ops import metrics, runtime
from app.ops.logs import request_id

SECURITY_HEADERS = [
    # No CDN and no inline script: exam rooms are locked down, and so is the page.
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        b"base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
NO_STORE = (b"cache-control", b"no-store")
REQUEST_ID_HEADER = b"x-request-id"
_GOOD_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
access_log = logging.getLogger("examhall.access")
# Request ids: this process's random prefix and a counter, unique across workers and instances
# without a system call per request.
_PREFIX = secrets.token_hex(4)
_counter = itertools.count(1)


def next_request_id() -> bytes:
    return f"{_PREFIX}-{next(_counter):x}".encode()


def _with_defaults(
    headers: list[tuple[bytes, bytes]], defaults: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    return headers + [(n, v) for n, v in defaults if n not in present]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = SECURITY_HEADERS
        if scope["path"].startswith(("/api/", "/console")):
            defaults = [*SECURITY_HEADERS, NO_STORE]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_defaults(list(message.get("headers", [])), defaults)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _route(scope: Scope) -> str:
    """The route's template (/api/v1/attempt/answers/{position}), never the raw path: one time
    series per route, whatever the ids in the URL."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    if scope["path"].startswith("/static/"):
        return "/static"
    return "unmatched"


class Observe:
    def __init__(self, app: ASGIApp, *, access_log_enabled: bool = True) -> None:
        self.app = app
        self.access_log = access_log_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = b""
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                rid = value if _GOOD_ID.fullmatch(value) else b""
                break
        rid = rid or next_request_id()
        text_id = rid.decode()
        token = request_id.set(text_id)
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, rid)]
            await send(message)

        metrics.IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_observed)
        finally:
            metrics.IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            method, route = scope["method"], _route(scope)
            metrics.observe_request(method, route, status, elapsed)
            runtime.flush()
            if self.access_log and access_log.isEnabledFor(logging.INFO):
                path = scope["path"]
                client = (scope.get("client") or ("", 0))[0]
                _log_access(method, path, route, status, round(elapsed * 1000, 2), client)
            request_id.reset(token)


def _log_access(method: str, path: str, route: str, status: int, ms: float, client: str) -> None:
    """One access line, made as `access_log.info(...)` would make it but without looking up the
    caller's file and line, which no access line shows: a fifth of the line's cost, paid on
    the event loop for every request."""
    record = access_log.makeRecord(
        access_log.name, logging.INFO, "", 0, "%s %s %d", (method, path, status), None
    )
    fields = vars(record)
    fields["method"], fields["path"], fields["route"] = method, path, route
    fields["status"], fields["ms"], fields["client"] = status, ms, client
    access_log.handle(record)


class Working:
    """Placed inside the cap: the gauge of requests holding a slot."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics.WORKING.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            metrics.WORKING.dec()

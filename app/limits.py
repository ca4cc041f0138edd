"""What one request may cost before it is let near the database. Pure ASGI, no thread hops.

`BodyLimit` (outermost): a request's body is read, bounded in size (413 beyond the route's
limit) and in time (408 when it stops arriving), *before* the request takes a database slot;
the application then reads it from memory. So a few slow or huge uploads cannot hold the slots
that candidates' saves need, and memory per request is bounded.

`ConcurrencyLimit`: a cap on requests working on the database at once, per worker. Each
request hops between threads while it holds a database connection, and on SQLite the write
lock; with more requests in flight than the thread pool has threads, every thread can end up
waiting for a lock whose holder is waiting for a thread. Requests over the cap wait here, in
the event loop, costing nothing. Its `stats` feed /readyz, which reports saturation.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The exam page's event stream stays open for the whole sitting: it works on the database only
# when it opens (briefly, one opening at a time per worker: sittings.events.OPENING_AT_ONCE)
# and from the one shared loop in sittings.events.
UNLIMITED_PREFIXES = (
    "/static/",
    "/healthz",
    "/readyz",
    "/.well-known/",
    "/metrics",
    "/api/v1/attempt/events",
)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def _problem(
    scope: Scope, send: Send, status: int, title: str, detail: str, code: str
) -> None:
    """A problem answered before the app is reached, with the members every other one has."""
    body = json.dumps(
        {
            "type": f"https://examhall.invalid/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope.get("path", ""),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Read the whole body first, within `max_bytes` (or a larger per-path limit) and
    `timeout` seconds between chunks; then hand it to the app from memory."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout: float,
        larger: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.larger = larger or {}  # path prefix -> limit, for the few routes that take files

    def limit_for(self, path: str) -> int:
        return max(
            (n for prefix, n in self.larger.items() if path.startswith(prefix)),
            default=self.max_bytes,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                # asyncio.timeout, not wait_for: wait_for wraps receive() in a task of its own
                # on every call (Python 3.11): 6 % of a worker's GIL time at a national
                # sitting's load (py-spy, bench/README.md §2).
                async with asyncio.timeout(self.timeout):
                    message = await receive()
            except TimeoutError:
                await _problem(
                    scope,
                    send,
                    408,
                    "Request timeout",
                    f"The request body stopped arriving for {self.timeout:g} seconds.",
                    "request-timeout",
                )
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as a server would

        await self.app(scope, replay, send)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    await _problem(
        scope,
        send,
        413,
        "Request too large",
        f"The request body is larger than this route accepts ({limit} bytes).",
        "request-too-large",
    )


@dataclass
class Stats:
    limit: int
    in_flight: int = 0
    waiting: int = 0

    @property
    def saturated(self) -> bool:
        """Every slot busy and a queue at least as long again: new work waits for seconds."""
        return self.in_flight >= self.limit and self.waiting >= self.limit


class ConcurrencyLimit:
    def __init__(self, app: ASGIApp, limit: int, stats: Stats | None = None) -> None:
        self.app = app
        self.limit = limit
        self.stats = stats or Stats(limit)
        # One semaphore per event loop: like the thread pool it protects, the cap is per loop
        # (a server has one; tests may drive one app from several).
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        stats = self.stats
        stats.waiting += 1
        try:
            await semaphore.acquire()
        finally:
            stats.waiting -= 1
        stats.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            stats.in_flight -= 1
            semaphore.release()


def default_limit(is_sqlite: bool) -> int:
    # SQLite takes one writer at a time: a few in flight keep it busy without a queue at the
    # lock. PostgreSQL: a request spends most of its time on the worker's one interpreter, not
    # waiting on the database, so 8 keep a worker busy; 24 threads contending for the GIL cost
    # a save 3.1 ms of CPU instead of 2.7 and a sign-in 3.8 instead of 3.0 (bench/README.md).
    return 6 if is_sqlite else 8

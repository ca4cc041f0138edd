"""A cap on requests working on the database at once, per worker.

Each request hops between threads (dependencies, then the route) while it holds a database
connection, and on SQLite the write lock. With more requests in flight than the thread pool
has threads, every thread can end up waiting for a lock whose holder is waiting for a thread.
Requests over the cap wait here, in the event loop, costing nothing.
"""

from __future__ import annotations

import asyncio
import weakref

from starlette.types import ASGIApp, Receive, Scope, Send

# The exam page's event stream stays open for the whole sitting: it works on the database only
# when it opens (briefly, in the thread pool) and from the one shared loop in sittings.events.
UNLIMITED_PREFIXES = ("/static/", "/healthz", "/api/v1/attempt/events")


class ConcurrencyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
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
        async with semaphore:
            await self.app(scope, receive, send)


def default_limit(is_sqlite: bool) -> int:
    # SQLite takes one writer at a time: a few in flight keep it busy without a queue at the
    # lock. PostgreSQL: below the connection pool (10 + 20 overflow) and the 40 threads.
    return 6 if is_sqlite else 24

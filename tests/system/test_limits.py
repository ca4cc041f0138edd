"""The cap on database-bound requests per worker."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app.limits import ConcurrencyLimit


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
        calls = [app({"type": "http", "path": "/api/v1/attempt"}, None, None) for _ in range(20)]
        await asyncio.gather(*calls)
        assert (state["peak"], state["done"]) == (3, 20)
        state["peak"] = 0
        await asyncio.gather(
            *[app({"type": "http", "path": "/healthz"}, None, None) for _ in range(10)]
        )
        assert state["peak"] == 10  # probes are never held back

    # A thread of its own: the browser tests' Playwright keeps a loop running on this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()

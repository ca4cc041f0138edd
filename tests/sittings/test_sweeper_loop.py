"""The background loop keeps going through a busy database, and says so as a warning."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, cast

import pytest
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from app.sittings import sweeper


def test_a_busy_database_skips_a_round_with_a_warning_and_the_loop_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rounds: list[int] = []

    def beat(_: Any) -> None:
        rounds.append(1)
        if len(rounds) == 1:  # SQLite's write lock held by `examhall banks load`, say
            raise OperationalError("UPDATE ...", {}, Exception("database is locked"))

    monkeypatch.setattr(sweeper, "beat_once", beat)
    monkeypatch.setattr(sweeper, "sweep_once", lambda _: 0)
    monkeypatch.setattr(sweeper, "seal_once", lambda _: None)

    async def go() -> None:
        task = asyncio.create_task(sweeper.run(cast(FastAPI, object()), interval=0.01))
        while len(rounds) < 3:
            await asyncio.sleep(0.01)
        task.cancel()

    # In a thread of its own: a browser test's Playwright (sync API) keeps an event loop
    # running in the worker's main thread, where asyncio.run() refuses to start another.
    with caplog.at_level(logging.WARNING, logger="examhall"):
        runner = threading.Thread(target=asyncio.run, args=(go(),))
        runner.start()
        runner.join(timeout=30)
    assert not runner.is_alive()
    busy = [r for r in caplog.records if "database is busy" in r.getMessage()]
    assert len(busy) == 1 and busy[0].levelno == logging.WARNING and busy[0].exc_info is None
    assert "database is locked" in busy[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

"""Submits timed-out attempts in the background, so that they show as submitted everywhere
whether or not any request touches them again. Every worker runs one; row locks keep them apart."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from app.db import transaction
from app.sittings import lifecycle

log = logging.getLogger("examhall.sweeper")
INTERVAL_SECONDS = 5.0


def sweep_once(app: FastAPI) -> int:
    with transaction(app.state.sessionmaker) as db:
        return lifecycle.sweep(db, app.state.clock.now())


async def run(app: FastAPI, interval: float = INTERVAL_SECONDS) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            swept = await run_in_threadpool(sweep_once, app)
            if swept:
                log.info("submitted %d timed-out attempts", swept)
        except Exception:  # keep sweeping: a failed round (e.g. a busy database) is retried
            log.exception("sweep failed")

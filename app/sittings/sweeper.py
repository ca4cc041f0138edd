"""The background work of each worker: submit timed-out attempts (so they show as submitted
everywhere whether or not any request touches them again), beat (so downtime is credited, see
downtime), and seal the journal. Every worker runs one; row locks keep them apart."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from app.db import transaction
from app.journal import seals
from app.sittings import downtime, lifecycle

log = logging.getLogger("examhall.sweeper")
INTERVAL_SECONDS = 5.0


def sweep_once(app: FastAPI) -> int:
    with transaction(app.state.sessionmaker) as db:
        return lifecycle.sweep(db, app.state.clock.now())


def beat_once(app: FastAPI) -> int:
    """Note the service is up, crediting downtime first: runs before a worker serves."""
    with transaction(app.state.sessionmaker) as db:
        down_after = timedelta(seconds=app.state.settings.downtime_after_seconds)
        credited = downtime.beat(db, app.state.clock.now(), down_after)
    if credited:
        log.warning("service was down: time credited to %d attempts", credited)
    return credited


def seal_once(app: FastAPI) -> None:
    with transaction(app.state.sessionmaker) as db:
        seals.seal(db, seals.key_of(app.state.settings), app.state.clock.now())


async def run(app: FastAPI, interval: float = INTERVAL_SECONDS) -> None:
    rounds = 0
    seal_every = max(1, round(seals.SEAL_EVERY_SECONDS / interval))
    while True:
        await asyncio.sleep(interval)
        rounds += 1
        try:
            await run_in_threadpool(beat_once, app)
            swept = await run_in_threadpool(sweep_once, app)
            if swept:
                log.info("submitted %d timed-out attempts", swept)
            if rounds % seal_every == 0:
                await run_in_threadpool(seal_once, app)
        except Exception:  # keep going: a failed round (e.g. a busy database) is retried
            log.exception("background round failed")

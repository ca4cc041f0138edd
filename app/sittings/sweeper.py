"""The background work of each worker: submit timed-out attempts (so they show as submitted
everywhere whether or not any request touches them again), beat (so downtime is credited, see
downtime), and seal the journal.

Every worker of every instance runs one, and at a common end time thousands of attempts expire
together, so the sweep is built for that: one sweeper at a time (on PostgreSQL a
transaction-scoped advisory lock; the others skip their turn rather than queue), bounded
batches each committed on its own (results appear as they are marked, and no transaction holds
thousands of row locks), and SKIP LOCKED so that an attempt a request holds (a late save, the
candidate's own submit) is left to that request instead of stalling the batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from app.db import transaction
from app.journal import seals
from app.ops import metrics
from app.sittings import downtime, lifecycle, repository

log = logging.getLogger("examhall.sweeper")
INTERVAL_SECONDS = 5.0
# Attempts submitted per transaction. Small: each result takes the results feed's counter
# (app/counters.py), whose row stays locked until the batch commits, so a candidate submitting
# their own paper meanwhile waits for the batch (bench/sweep.py, 1,000 timed out together, 100
# others submitting beside the sweep; PostgreSQL: 200 a batch, p50 1.7 s, longest 1.8 s; 25,
# p50 0.23 s, longest 0.26 s; the sweep 8.6 and 9.0 ms an attempt).
BATCH = 25
MAX_BATCHES = 400  # per round (10,000 attempts): the next begins INTERVAL_SECONDS later
BREATHER_SECONDS = 0.005  # between batches (below)


def sweep_once(app: FastAPI, batch: int = BATCH) -> int:
    """One round: batches until none is left (or MAX_BATCHES); the attempts it submitted."""
    started, total = time.perf_counter(), 0
    for _ in range(MAX_BATCHES):
        with transaction(app.state.sessionmaker) as db:
            if not repository.take_sweeper_turn(db):
                break  # another worker is sweeping
            swept = lifecycle.sweep(db, app.state.clock.now(), limit=batch, skip_locked=True)
        total += swept
        if swept < batch:
            break
        # Let a writer waiting on SQLite's one writer's lock (app.db.writer_slot, a plain Lock:
        # not fair) have it between batches: without a pause this thread takes it again at once,
        # and a candidate submitting beside the sweep waited for several batches.
        time.sleep(BREATHER_SECONDS)
    with transaction(app.state.sessionmaker, write=False) as db:
        metrics.SWEEP_LAG.set(lifecycle.sweep_lag(db, app.state.clock.now()))
    metrics.SWEPT.inc(total)
    metrics.SWEEP_SECONDS.observe(time.perf_counter() - started)
    return total


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
                log.info("submitted %d timed-out attempts", swept, extra={"swept": swept})
            if rounds % seal_every == 0:
                await run_in_threadpool(seal_once, app)
        except OperationalError as exc:
            # A busy database (SQLite's write lock held by a CLI bank load, a PostgreSQL
            # restart): expected now and then, retried next round; said once, without a trace.
            log.warning("background round skipped, the database is busy: %s", exc.orig)
        except Exception:  # keep going: a failed round is retried
            log.exception("background round failed")

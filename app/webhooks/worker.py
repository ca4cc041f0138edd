"""Sends queued deliveries: in every app worker as a background task (like the sweeper), or on
its own with `examhall webhooks work`. Never inside a request: a candidate's submission only
writes the outbox row.

Deliveries are claimed in short transactions and sent side by side, each attempt over within
the timeout whatever its receiver does, and each recorded as soon as it ends: no delivery waits
for another's receiver. A receiver that is slow or failing holds at most PER_WEBHOOK of the
SLOTS, so the others' deliveries go on (before, a round of eight waited for its slowest, and a
receiver trickling its answer held every receiver's deliveries for as long as it trickled).

State lives only in the database: a worker killed at any point leaves each delivery either due
(claimed but not sent, or sent but not recorded: sent again once the lease has passed, with the
same webhook-id, which is what "at least once" means) or recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.config import Settings
from app.db import transaction
from app.webhooks import addresses, sender, service

log = logging.getLogger("examhall.webhooks")
BATCH = 8  # a round's claims (run_once: `examhall webhooks work --once` and the tests)
SLOTS = 16  # attempts in flight at once in a running worker
PER_WEBHOOK = 4  # of them, at most this many to one webhook

T = TypeVar("T")


class Worker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
        *,
        resolve: addresses.Resolver = addresses.system_resolver,
    ) -> None:
        self.factory, self.clock, self.settings, self.resolve = factory, clock, settings, resolve
        timeout = settings.webhook_timeout_seconds
        # Each attempt ends within the timeout and is recorded at once: twice that and more is
        # room for a busy database; a worker that died is taken over after it.
        self.lease = timedelta(seconds=4 * timeout + 10)
        self.retry_for = timedelta(hours=settings.webhook_retry_hours)
        self.first_delay = timedelta(seconds=settings.webhook_retry_base_seconds)

    # One round, from synchronous code --------------------------------------------------------

    def run_once(self) -> int:
        """One round: claim up to BATCH, send them side by side, record each. How many
        deliveries were attempted."""
        return in_own_loop(self._round())

    async def _round(self) -> int:
        claims = await asyncio.to_thread(self._claim, BATCH, {})
        await asyncio.gather(*(self._attempt(claim) for claim in claims))
        return len(claims)

    # The running worker ----------------------------------------------------------------------

    async def run(self) -> None:
        """The loop of the in-process background task: keeps up to SLOTS attempts in flight,
        claiming more as each ends, or every poll when none is due."""
        flying: dict[asyncio.Task[None], int] = {}  # attempt -> its webhook
        try:
            while True:
                try:
                    await self._fill(flying)
                except Exception:  # a busy or unreachable database: try again shortly
                    log.exception("webhook round failed")
                poll = self.settings.webhook_poll_seconds
                if not flying:
                    await asyncio.sleep(poll)
                    continue
                done, _ = await asyncio.wait(
                    flying, timeout=poll, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    del flying[task]
        finally:
            for task in flying:
                task.cancel()  # its delivery stays leased, and is sent again after the lease

    async def _fill(self, flying: dict[asyncio.Task[None], int]) -> None:
        free = SLOTS - len(flying)
        if free <= 0:
            return
        in_flight = Counter(flying.values())
        for claim in await asyncio.to_thread(self._claim, free, in_flight):
            flying[asyncio.create_task(self._attempt(claim))] = claim.webhook_id

    def run_forever(self) -> None:
        """The loop of `examhall webhooks work` (a command's main thread: no loop runs there,
        and Ctrl-C reaches this one)."""
        asyncio.run(self.run())

    # One delivery ----------------------------------------------------------------------------

    def _claim(self, limit: int, in_flight: Mapping[int, int]) -> list[service.Claim]:
        with transaction(self.factory, write=False) as db:
            if not service.any_due(db, self.clock.now()):
                return []
        with transaction(self.factory) as db:
            return service.claim_due(
                db,
                self.clock.now(),
                limit=limit,
                lease=self.lease,
                per_webhook=PER_WEBHOOK,
                in_flight=in_flight,
            )

    async def _attempt(self, claim: service.Claim) -> None:
        sent_at = self.clock.now()
        try:
            outcome = await sender.send(
                claim.message,
                sent_at,
                timeout=self.settings.webhook_timeout_seconds,
                allow_private=self.settings.webhook_allow_private,
                resolve=self.resolve,
            )
        except Exception as exc:  # a bug, not the receiver: a failed attempt, retried as any
            log.exception("webhook delivery %s: the attempt raised", claim.delivery_id)
            outcome = sender.Outcome(None, f"{type(exc).__name__}: {exc}"[:500], 0, None)
        try:
            await asyncio.to_thread(self._record, claim, outcome, sent_at)
        except Exception:  # not recorded: sent again once its lease has passed
            log.exception("webhook delivery %s: attempt not recorded", claim.delivery_id)
        if not outcome.ok:
            log.info("webhook delivery %s failed: %s", claim.delivery_id, outcome.error)

    def _record(self, claim: service.Claim, outcome: sender.Outcome, sent_at: datetime) -> None:
        with transaction(self.factory) as db:
            service.record_attempt(
                db,
                claim.delivery_id,
                outcome,
                self.clock.now(),
                sent_at=sent_at,
                retry_for=self.retry_for,
                first_delay=self.first_delay,
            )


def in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on an event loop of its own thread: the caller's thread may
    already run one (a test's browser driver keeps one running in the main thread)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhooks") as pool:
        return pool.submit(asyncio.run, coroutine).result()

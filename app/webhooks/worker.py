"""Sends queued deliveries: in every app worker as a background task (like the sweeper), or on
its own with `examhall webhooks work`. Never inside a request: a candidate's submission only
writes the outbox row.

Each round claims due deliveries in one short transaction, sends them (in parallel, outside any
transaction) and records each attempt in another short transaction. State lives only in the
database: a worker killed at any point leaves each delivery either due (claimed but not sent,
or sent but not recorded: sent again once the lease has passed, with the same webhook-id,
which is what "at least once" means) or recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.clock import Clock
from app.config import Settings
from app.db import transaction
from app.webhooks import addresses, sender, service

log = logging.getLogger("examhall.webhooks")
BATCH = 8


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
        # Long enough for a whole batch sent in parallel (connect, write and read each timed).
        self.lease = timedelta(seconds=4 * timeout + 10)
        self.retry_for = timedelta(hours=settings.webhook_retry_hours)
        self.first_delay = timedelta(seconds=settings.webhook_retry_base_seconds)

    def run_once(self) -> int:
        """One round: claim, send, record. How many deliveries were attempted."""
        with transaction(self.factory, write=False) as db:
            if not service.any_due(db, self.clock.now()):
                return 0
        with transaction(self.factory) as db:
            claims = service.claim_due(db, self.clock.now(), limit=BATCH, lease=self.lease)
        if not claims:
            return 0
        with ThreadPoolExecutor(max_workers=len(claims)) as pool:
            outcomes = list(pool.map(self._send, claims))
        for claim, outcome in zip(claims, outcomes, strict=True):
            with transaction(self.factory) as db:
                service.record_attempt(
                    db,
                    claim.delivery_id,
                    outcome,
                    self.clock.now(),
                    retry_for=self.retry_for,
                    first_delay=self.first_delay,
                )
            if not outcome.ok:
                log.info("webhook delivery %s failed: %s", claim.delivery_id, outcome.error)
        return len(claims)

    def _send(self, claim: service.Claim) -> sender.Outcome:
        return sender.send(
            claim.message,
            self.clock.now(),
            timeout=self.settings.webhook_timeout_seconds,
            allow_private=self.settings.webhook_allow_private,
            resolve=self.resolve,
        )

    def run_forever(self) -> None:
        """The loop of `examhall webhooks work`."""
        while True:
            try:
                busy = self.run_once()
            except Exception:  # a busy or unreachable database: try again shortly
                log.exception("webhook round failed")
                busy = 0
            if not busy:
                time.sleep(self.settings.webhook_poll_seconds)

    async def run(self) -> None:
        """The loop of the in-process background task."""
        while True:
            try:
                busy = await run_in_threadpool(self.run_once)
            except Exception:
                log.exception("webhook round failed")
                busy = 0
            if not busy:
                await asyncio.sleep(self.settings.webhook_poll_seconds)

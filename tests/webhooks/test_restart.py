"""Nothing is lost when the service stops: a worker process is killed between attempts, a new
app starts, and the delivery completes under the same webhook-id. Real processes, a real
receiver on 127.0.0.1, committed rows in the test database (removed afterwards)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook

from app.db import WRITE, make_sessionmaker, transaction
from app.webhooks import service
from app.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.conftest import TEST_SECRET
from tests.webhooks.conftest import wait_for
from tests.webhooks.receiver import free_port, receiver

EXE = Path(sys.executable).parent / "examhall"


def test_a_delivery_survives_a_killed_worker_and_completes_in_a_new_app(
    engine: Engine, committed: list[int]
) -> None:
    factory = make_sessionmaker(engine)
    url = engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "EXAMHALL_ENV": "test",
        "EXAMHALL_SECRET_KEY": TEST_SECRET,
        "EXAMHALL_DATABASE_URL": url,
        "EXAMHALL_WEBHOOK_ALLOW_PRIVATE": "true",
        "EXAMHALL_WEBHOOK_RETRY_BASE_SECONDS": "0.3",
        "EXAMHALL_WEBHOOK_POLL_SECONDS": "0.2",
        "EXAMHALL_WEBHOOK_TIMEOUT_SECONDS": "2",
        "EXAMHALL_SWEEPER": "false",
    }
    data = {"attempt_id": 1, "candidate_number": "N001", "note": "not a real result"}
    with receiver(500, 503, 500) as rx:
        with transaction(factory) as db:
            hook, secret = service.create(
                db,
                url=rx.url,
                events=["result.recorded"],
                now=datetime.now(UTC),
                allow_private=True,
            )
            committed.append(hook.id)
            service.enqueue(db, "result.recorded", data, datetime.now(UTC))

        def status() -> tuple[str, int]:
            with transaction(factory) as db:
                row = db.query(WebhookDelivery).filter_by(webhook_id=hook.id).one()
                return row.status, row.attempts

        # A worker process sends, fails, and is killed (no chance to tidy up) before it succeeds.
        first = subprocess.Popen([str(EXE), "webhooks", "work"], env=env, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: status()[1] >= 1, 60, "the first worker's first attempt")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert status()[0] == "pending"
        sent_before = len(rx.received)

        # A new app starts (its in-process worker) and finishes the job.
        port = free_port()
        app = subprocess.Popen(
            [str(EXE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**env, "EXAMHALL_WEBHOOK_WORKER": "true"},
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: status()[0] == "delivered", 60, "the new app to deliver")
        finally:
            app.send_signal(signal.SIGTERM)
            app.wait(20)

    assert len(rx.received) == 4 and sent_before >= 1  # three failures, then success
    assert {r.headers["webhook-id"] for r in rx.received} == {rx.received[0].headers["webhook-id"]}
    for sent in rx.received:  # the reference verification, at real time, for every attempt
        message = Webhook(secret).verify(sent.body, sent.headers)
        assert message["type"] == "result.recorded" and message["data"] == data
    with transaction(factory) as db:
        (row,) = db.query(WebhookDelivery).filter_by(webhook_id=hook.id).all()
        codes = [a.status_code for a in db.query(WebhookAttempt).filter_by(delivery_id=row.id)]
    assert codes == [500, 503, 500, 200]


def test_two_workers_never_claim_the_same_delivery(engine: Engine, committed: list[int]) -> None:
    """On PostgreSQL a second worker skips the rows the first holds (FOR UPDATE SKIP LOCKED)
    while the first is still claiming; on SQLite claims take turns. Either way the leases
    split the work."""
    factory = make_sessionmaker(engine)
    now = datetime.now(UTC)
    with transaction(factory) as db:
        hook, _ = service.create(
            db, url="http://127.0.0.1:9/x", events=["result.recorded"], now=now, allow_private=True
        )
        committed.append(hook.id)
        for n in range(10):
            service.enqueue(db, "result.recorded", {"n": n}, now)
    lease = timedelta(minutes=1)
    first = factory()
    first.connection(execution_options=WRITE)
    try:
        mine = service.claim_due(first, now, limit=6, lease=lease)
        if engine.dialect.name == "sqlite":  # one writer at a time: the first commits, then
            first.commit()
        with transaction(factory) as other:
            theirs = service.claim_due(other, now, limit=10, lease=lease)
        first.commit()
    finally:
        first.close()
    mine_ids = {c.delivery_id for c in mine}
    theirs_ids = {c.delivery_id for c in theirs}
    assert len(mine_ids) == 6 and len(theirs_ids) == 4 and not mine_ids & theirs_ids
    with transaction(factory) as db:
        assert service.claim_due(db, now, limit=10, lease=lease) == []  # all leased

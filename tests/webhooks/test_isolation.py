"""One receiver cannot hold up another's deliveries: an attempt is over within its timeout
whatever the receiver does (one that trickles its answer a byte at a time included), each
attempt is recorded when it ends, and a receiver's backlog takes at most PER_WEBHOOK of the
worker's slots. Real receivers on 127.0.0.1, a real worker loop, committed rows."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import make_sessionmaker, transaction
from app.webhooks import sender, service
from app.webhooks.models import WebhookAttempt, WebhookDelivery
from app.webhooks.worker import PER_WEBHOOK, Worker
from tests.conftest import make_settings
from tests.webhooks.conftest import run, wait_for
from tests.webhooks.receiver import free_port, receiver

SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()


@contextmanager
def trickler() -> Iterator[tuple[str, threading.Event]]:
    """A receiver that reads the request, then answers one header byte every 0.2 s for a
    minute: no read ever waits long enough to time out."""
    stop, accepted = threading.Event(), threading.Event()
    server = socket.create_server(("127.0.0.1", free_port()))

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.set()
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Pad: ")
                for _ in range(300):
                    if stop.wait(0.2):
                        return
                    conn.sendall(b"a")
            except OSError:
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks", accepted
    finally:
        stop.set()
        server.close()
        thread.join(5)


def test_an_attempt_ends_at_its_timeout_however_the_receiver_trickles() -> None:
    with trickler() as (url, _):
        started = time.monotonic()
        outcome = run(
            sender.send(
                sender.Message("msg_1", "{}", SECRET, url),
                datetime.now(UTC),
                timeout=1.0,
                allow_private=True,
            )
        )
        took = time.monotonic() - started
    assert outcome.status_code is None and outcome.error == "no answer within 1 s"
    assert outcome.address == "127.0.0.1"
    assert 0.9 < took < 3, took  # a per-read timeout alone waited the whole minute


def test_a_stuck_receiver_does_not_hold_up_another_receivers_deliveries(
    engine: Engine, committed: list[int]
) -> None:
    """The worker's own loop, as it runs in the app: the trickling receiver's attempt runs
    on (its timeout here is a minute) while the healthy receiver is sent and recorded, and
    so is a result recorded after the stuck attempt began."""
    factory = make_sessionmaker(engine)
    settings = make_settings(
        engine.url.render_as_string(hide_password=False),
        webhook_allow_private=True,
        webhook_timeout_seconds=60.0,
        webhook_poll_seconds=0.05,
    )
    with trickler() as (stuck_url, accepted), receiver() as healthy:
        with transaction(factory) as db:
            hooks = [
                service.create(
                    db, url=url, events=["result.recorded"], now=_now(), allow_private=True
                )[0]
                for url in (stuck_url, healthy.url)
            ]
            committed.extend(h.id for h in hooks)
            service.enqueue(db, "result.recorded", {"n": 1}, _now())
        worker = Worker(factory, _RealClock(), settings)
        with _running(worker):
            wait_for(accepted.is_set, 10, "the stuck receiver's attempt to start")
            with transaction(factory) as db:
                service.enqueue(db, "result.recorded", {"n": 2}, _now())
            wait_for(lambda: len(healthy.received) == 2, 10, "both healthy deliveries")
            wait_for(
                lambda: _statuses(factory, hooks[1].id) == ["delivered", "delivered"],
                10,
                "both healthy deliveries recorded",
            )
            # the stuck one is still in its attempt: claimed, nothing recorded yet
            assert _statuses(factory, hooks[0].id) == ["pending", "pending"]
            with transaction(factory, write=False) as db:
                stuck = db.query(WebhookDelivery.id).filter_by(webhook_id=hooks[0].id)
                assert (
                    db.query(WebhookAttempt).filter(WebhookAttempt.delivery_id.in_(stuck)).count()
                    == 0
                )


def test_a_backlog_to_one_webhook_leaves_room_for_the_others(
    engine: Engine, committed: list[int]
) -> None:
    factory = make_sessionmaker(engine)
    with transaction(factory) as db:
        busy, quiet = (
            service.create(
                db,
                url=f"http://127.0.0.1:9/{n}",
                events=["result.recorded"],
                now=_now(),
                allow_private=True,
            )[0]
            for n in ("busy", "quiet")
        )
        committed.extend([busy.id, quiet.id])
        service.delete(db, quiet.id, _now())  # enqueue to `busy` alone, then to both
        for n in range(PER_WEBHOOK + 3):
            service.enqueue(db, "result.recorded", {"n": n}, _now())
    with transaction(factory) as db:
        _undelete(db, quiet.id)
        service.enqueue(db, "result.recorded", {"n": "last"}, _now())
    lease = timedelta(minutes=1)

    def claim(in_flight: dict[int, int]) -> list[int]:
        with transaction(factory) as db:
            claims = service.claim_due(
                db, _now(), limit=16, lease=lease, per_webhook=PER_WEBHOOK, in_flight=in_flight
            )
            db.rollback()  # look, don't take
            return [c.webhook_id for c in claims]

    # earliest first, but at most PER_WEBHOOK to `busy`: the quiet one's delivery is taken too
    assert claim({}) == [busy.id] * PER_WEBHOOK + [quiet.id]
    assert claim({busy.id: PER_WEBHOOK - 1}) == [busy.id, quiet.id]
    assert claim({busy.id: PER_WEBHOOK}) == [quiet.id]


def test_an_attempt_is_dated_when_it_was_sent_and_a_replay_is_not_delivered(
    engine: Engine, committed: list[int]
) -> None:
    factory = make_sessionmaker(engine)
    settings = make_settings(
        engine.url.render_as_string(hide_password=False), webhook_allow_private=True
    )
    clock = _RealClock()
    with receiver() as rx:
        with transaction(factory) as db:
            hook = service.create(
                db, url=rx.url, events=["result.recorded"], now=_now(), allow_private=True
            )[0]
            committed.append(hook.id)
            service.enqueue(db, "result.recorded", {"n": 1}, _now())
        before = _now()
        assert Worker(factory, clock, settings).run_once() == 1
        with transaction(factory) as db:
            (view,) = service.deliveries(db, hook.id, limit=10, before=None)[0]
            (attempt,) = service.delivery(db, hook.id, view.id).attempts
            assert before <= _utc(attempt.attempted_at) <= _utc(view.delivered_at)
            replayed = service.replay(db, hook.id, view.id, _now()).delivery
            assert replayed.status == "pending" and replayed.delivered_at is None


class _RealClock:
    def now(self) -> datetime:
        return _now()


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime:
    assert value is not None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _statuses(factory: object, hook_id: int) -> list[str]:
    with transaction(factory, write=False) as db:  # type: ignore[arg-type]
        rows = db.query(WebhookDelivery).filter_by(webhook_id=hook_id).order_by(WebhookDelivery.id)
        return [row.status for row in rows]


def _undelete(db: Session, hook_id: int) -> None:
    from app.webhooks.models import Webhook

    hook = db.get(Webhook, hook_id)
    assert hook is not None
    hook.deleted_at = None


@contextmanager
def _running(worker: Worker) -> Iterator[None]:
    """worker.run() on an event loop of its own thread, cancelled afterwards."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(worker.run())
    thread = threading.Thread(target=loop.run_until_complete, args=(_quietly(task),), daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(10)
        loop.close()


async def _quietly(task: asyncio.Task[None]) -> None:
    with suppress(asyncio.CancelledError):
        await task

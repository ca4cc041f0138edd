"""Deliveries: queued in the transaction that records or corrects a result, sent by the worker
(never in a request), signed as Standard Webhooks says, retried with backoff through failures
under one webhook-id, listed with their attempts, replayed."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from app.config import Settings
from app.marking.models import Result
from app.sittings import lifecycle
from app.webhooks import service
from app.webhooks.models import WebhookDelivery
from app.webhooks.worker import Worker
from tests.signing import verify
from tests.signing.test_signed_results import jwks, sit
from tests.sittings.conftest import Room, code
from tests.webhooks.conftest import run
from tests.webhooks.receiver import free_port, receiver

BOTH = ["result.recorded", "result.corrected"]


def register(room: Room, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = room.client.post(
        "/api/v1/webhooks", json={"url": url, "events": events or BOTH}, headers=room.admin()
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def worker(app: FastAPI, room: Room) -> Worker:
    return Worker(app.state.sessionmaker, room.clock, app.state.settings)


def deliveries(room: Room, hook_id: int, **params: Any) -> list[dict[str, Any]]:
    response = room.client.get(
        f"/api/v1/webhooks/{hook_id}/deliveries", params=params, headers=room.admin()
    )
    assert response.status_code == 200, response.text
    return list(response.json()["deliveries"])


def detail(room: Room, hook_id: int, delivery_id: int) -> dict[str, Any]:
    response = room.client.get(
        f"/api/v1/webhooks/{hook_id}/deliveries/{delivery_id}", headers=room.admin()
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def verified(secret: str, sent: Any) -> dict[str, Any]:
    """The Standard Webhooks reference verification (which also checks the timestamp is
    within five minutes of now), and an HMAC computed here from the specification's words."""
    import base64
    import hashlib
    import hmac

    message = Webhook(secret).verify(sent.body, sent.headers)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{sent.headers['webhook-id']}.{sent.headers['webhook-timestamp']}.".encode()
    mac = base64.b64encode(hmac.new(key, signed + sent.body, hashlib.sha256).digest()).decode()
    assert sent.headers["webhook-signature"] == f"v1,{mac}"
    assert sent.headers["content-type"] == "application/json"
    return dict(message)


def test_a_recorded_result_is_delivered_signed_and_verifiable(room: Room, app: FastAPI) -> None:
    with receiver() as rx:
        hook = register(room, rx.url)
        only_corrections = register(room, rx.url, ["result.corrected"])
        session = room.open_session(["N001"])
        sit(room, session, "N001", 6)
        # queued with the result, but nothing is sent inside the candidate's request
        assert rx.received == []
        (queued,) = deliveries(room, hook["id"])
        assert queued["status"] == "pending" and queued["event_type"] == "result.recorded"
        assert deliveries(room, only_corrections["id"]) == []

        assert worker(app, room).run_once() == 1
        (sent,) = rx.received
        message = verified(hook["secret"], sent)
        (result,) = room.results()["results"]
        assert message["type"] == "result.recorded"
        assert message["data"] == result  # the result exactly as the feed gives it
        assert message["timestamp"].endswith("Z")
        verify.both(message["data"], jwks(room))  # its JWS verifies against the JWKS
        assert sent.headers["webhook-id"] == queued["message_id"]

        done = detail(room, hook["id"], queued["id"])
        assert done["status"] == "delivered" and done["attempts"] == 1
        assert done["body"].encode() == sent.body
        (attempt,) = done["attempt_log"]
        assert attempt["status_code"] == 200 and attempt["error"] is None
        assert attempt["duration_ms"] >= 0 and attempt["address"] == "127.0.0.1"
        assert worker(app, room).run_once() == 0  # nothing more is due


def test_failures_are_retried_with_backoff_under_one_webhook_id(room: Room, app: FastAPI) -> None:
    with receiver(500, 503, 302, 404) as rx:
        hook = register(room, rx.url, ["result.recorded"])
        session = room.open_session(["N001"])
        sit(room, session, "N001", 2)
        sender = worker(app, room)
        waits = []
        while True:
            assert sender.run_once() == 1
            (row,) = deliveries(room, hook["id"])
            if row["status"] == "delivered":
                break
            due = _when(row["next_attempt_at"])
            waits.append((due - room.clock.now()).total_seconds())
            assert sender.run_once() == 0  # not due yet: nothing is sent early
            room.clock.set(due)
        # 10 s doubling, each with jitter between half and all of it
        for n, wait in enumerate(waits):
            assert 10 * 2**n / 2 - 1 <= wait <= 10 * 2**n + 1, waits
        ids = {r.headers["webhook-id"] for r in rx.received}
        assert len(rx.received) == 5 and ids == {row["message_id"]}
        assert len({r.body for r in rx.received}) == 1  # the same bytes every time
        for sent in rx.received:  # each attempt signed afresh, at its own time
            assert verified(hook["secret"], sent)["type"] == "result.recorded"
        log = detail(room, hook["id"], row["id"])["attempt_log"]
        assert [a["status_code"] for a in log] == [500, 503, 302, 404, 200]
        assert log[0]["error"] == "HTTP 500: nope"
        assert "redirects are not followed" in log[2]["error"]  # and it was not followed


def _when(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_receiver_that_stays_down_is_retried_for_the_whole_window_then_replayed(
    room: Room, app: FastAPI, settings: Settings
) -> None:
    url = f"http://127.0.0.1:{free_port()}/nobody-listens"
    hook = register(room, url, ["result.recorded"])
    session = room.open_session(["N001"])
    sit(room, session, "N001", 2)
    sender = worker(app, room)
    first = room.clock.now()
    for _ in range(100):
        assert sender.run_once() == 1
        (row,) = deliveries(room, hook["id"])
        if row["status"] != "pending":
            break
        room.clock.set(_when(row["next_attempt_at"]))
    assert row["status"] == "failed" and row["next_attempt_at"] is None
    log = detail(room, hook["id"], row["id"])["attempt_log"]
    span = _when(log[-1]["attempted_at"]) - first
    assert span >= timedelta(hours=settings.webhook_retry_hours) >= timedelta(hours=24)
    gaps = [_when(b["attempted_at"]) - _when(a["attempted_at"]) for a, b in itertools.pairwise(log)]
    assert max(gaps) <= timedelta(hours=6)
    assert all(a["status_code"] is None and "ConnectError" in a["error"] for a in log)
    assert sender.run_once() == 0  # given up: not sent again by itself

    # The receiver is back: the administrator replays it, under the same webhook-id.
    with receiver() as rx:
        _point(app, hook["id"], rx.url)
        replayed = room.client.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{row['id']}/replay", headers=room.admin()
        )
        assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
        assert sender.run_once() == 1
        (sent,) = rx.received
        assert sent.headers["webhook-id"] == row["message_id"]
        expected = Webhook(hook["secret"]).sign(
            row["message_id"], room.clock.now(), sent.body.decode()
        )
        assert sent.headers["webhook-signature"] == expected
    assert deliveries(room, hook["id"], status="delivered")[0]["id"] == row["id"]
    assert deliveries(room, hook["id"], status="failed") == []


def _point(app: FastAPI, hook_id: int, url: str) -> None:
    """Move a webhook to another port (the dead receiver's port is gone for good)."""
    from app.db import transaction
    from app.webhooks.models import Webhook as WebhookRow

    with transaction(app.state.sessionmaker) as db:
        row = db.get(WebhookRow, hook_id)
        assert row is not None
        row.url = url


def test_a_correction_is_delivered_as_result_corrected(room: Room, app: FastAPI) -> None:
    with receiver() as rx:
        hook = register(room, rx.url, ["result.corrected"])
        session = room.open_session(["N001"])
        sit(room, session, "N001", 8)
        staff = room.invigilate()
        void = {"reason": "Phone found in the toilets"}
        assert room.act(staff, session["id"], "candidates/N001/void", void).status_code == 200
        room.client.cookies.clear()
        assert worker(app, room).run_once() == 1
        (sent,) = rx.received
        message = verified(hook["secret"], sent)
        assert message["type"] == "result.corrected"
        assert message["correction"]["kind"] == "voided"
        assert message["correction"]["reason"] == void["reason"]
        (correction,) = room.client.get("/api/v1/results/corrections", headers=room.admin()).json()[
            "corrections"
        ]
        assert message["data"] == correction["result"] and message["data"]["voided"] is True
        verify.both(message["data"], jwks(room))


def test_a_rolled_back_result_queues_nothing(room: Room, app: FastAPI, db: Session) -> None:
    register(room, "http://127.0.0.1:9/x", ["result.recorded"])
    session = room.open_session(["N001"])
    room.sign_in("N001", code(session, "N001"))
    room.client.cookies.clear()
    room.clock.advance(hours=3)  # the paper's time has run out: the next sweep records it

    def counts() -> tuple[int, int]:
        return (
            db.scalar(select(func.count()).select_from(Result)) or 0,
            db.scalar(select(func.count()).select_from(WebhookDelivery)) or 0,
        )

    # A transaction that records the result and then fails: neither result nor delivery stays.
    savepoint = db.begin_nested()
    assert lifecycle.sweep(db, room.clock.now()) == 1
    assert counts() == (1, 1)
    savepoint.rollback()
    assert counts() == (0, 0)
    # The same through a request: GET /results sweeps first, then refuses its bad limit (422)
    # and its transaction is rolled back, outbox row with it.
    refused = room.client.get("/api/v1/results", params={"limit": 0}, headers=room.admin())
    assert refused.status_code == 422
    assert counts() == (0, 0)
    assert len(room.results()["results"]) == 1
    assert counts() == (1, 1)


def test_a_worker_that_died_mid_send_is_taken_over_after_its_lease(
    room: Room, app: FastAPI, db: Session
) -> None:
    with receiver() as rx:
        hook = register(room, rx.url, ["result.recorded"])
        session = room.open_session(["N001"])
        sit(room, session, "N001", 1)
        dead = worker(app, room)
        # The first worker claims the delivery, sends it, and dies before noting the answer.
        from app.db import transaction
        from app.webhooks import sender

        with transaction(app.state.sessionmaker) as tx:
            (claim,) = service.claim_due(tx, room.clock.now(), limit=8, lease=dead.lease)
        run(sender.send(claim.message, room.clock.now(), timeout=2, allow_private=True))
        survivor = worker(app, room)
        assert survivor.run_once() == 0  # still leased to the dead worker
        room.clock.advance(seconds=dead.lease.total_seconds() + 1)
        assert survivor.run_once() == 1
        assert [r.headers["webhook-id"] for r in rx.received] == [claim.message.message_id] * 2
        for sent in rx.received:
            verified(hook["secret"], sent)
        (row,) = deliveries(room, hook["id"])
        assert row["status"] == "delivered" and row["attempts"] == 1


def test_deleting_a_webhook_cancels_what_it_has_not_yet_sent(room: Room, app: FastAPI) -> None:
    with receiver() as rx:
        hook = register(room, rx.url, ["result.recorded"])
        session = room.open_session(["N001"])
        sit(room, session, "N001", 1)
        room.client.delete(f"/api/v1/webhooks/{hook['id']}", headers=room.admin())
        assert worker(app, room).run_once() == 0 and rx.received == []
        (row,) = deliveries(room, hook["id"])  # the history stays readable
        assert row["status"] == "cancelled"
        replay = f"/api/v1/webhooks/{hook['id']}/deliveries/{row['id']}/replay"
        assert room.client.post(replay, headers=room.admin()).status_code == 404


def test_a_private_address_is_refused_at_delivery_too(room: Room, app: FastAPI) -> None:
    """Registered while private addresses were allowed (or a name that now resolves to one):
    with them refused, the delivery is not sent and the attempt says why."""
    with receiver() as rx:
        hook = register(room, rx.url, ["result.recorded"])
        session = room.open_session(["N001"])
        sit(room, session, "N001", 1)
        strict = app.state.settings.model_copy(update={"webhook_allow_private": False})
        assert Worker(app.state.sessionmaker, room.clock, strict).run_once() == 1
        assert rx.received == []
        (row,) = deliveries(room, hook["id"])
        assert row["status"] == "pending" and "not a public internet address" in row["last_error"]


def test_unknown_webhooks_and_deliveries_are_404(room: Room) -> None:
    hook = register(room, "http://127.0.0.1:9/x")
    for path in (
        "/api/v1/webhooks/999/deliveries",
        f"/api/v1/webhooks/{hook['id']}/deliveries/999",
        "/api/v1/webhooks/999/deliveries/1",
    ):
        response = room.client.get(path, headers=room.admin())
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
    bad = room.client.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries", params={"limit": 0}, headers=room.admin()
    )
    assert bad.status_code == 422
    assert json.loads(bad.text)["errors"][0]["field"] == "limit"


def _signatures(sent: Any) -> list[str]:
    return str(sent.headers["webhook-signature"]).split(" ")


def _mac(secret: str, sent: Any) -> str:
    import base64
    import hashlib
    import hmac

    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{sent.headers['webhook-id']}.{sent.headers['webhook-timestamp']}.".encode()
    return (
        "v1,"
        + base64.b64encode(hmac.new(key, signed + sent.body, hashlib.sha256).digest()).decode()
    )


def test_a_secret_is_rotated_with_a_day_when_both_sign(room: Room, app: FastAPI) -> None:
    with receiver() as rx:
        hook = register(room, rx.url, ["result.recorded"])
        old = hook["secret"]
        path = f"/api/v1/webhooks/{hook['id']}/secret"
        rotated = room.client.post(path, headers=room.admin())
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new.startswith("whsec_") and new != old
        until = _when(rotated.json()["previous_secret_until"])
        assert until == room.clock.now() + timedelta(hours=24)
        assert "secret" not in room.client.get("/api/v1/webhooks", headers=room.admin()).json()[0]

        session = room.open_session(["N001"])
        sit(room, session, "N001", 1)
        assert worker(app, room).run_once() == 1
        (sent,) = rx.received
        # both sign, and each secret's own library check passes: the receiver may switch
        # whenever it likes within the day
        assert sorted(_signatures(sent)) == sorted([_mac(new, sent), _mac(old, sent)])
        assert Webhook(old).verify(sent.body, sent.headers)["type"] == "result.recorded"
        assert Webhook(new).verify(sent.body, sent.headers)["type"] == "result.recorded"

        # a day later the old one no longer signs
        room.clock.set(until)
        (row,) = deliveries(room, hook["id"])
        replay = f"/api/v1/webhooks/{hook['id']}/deliveries/{row['id']}/replay"
        assert room.client.post(replay, headers=room.admin()).status_code == 200
        assert worker(app, room).run_once() == 1
        assert _signatures(rx.received[1]) == [_mac(new, rx.received[1])]


def test_a_leaked_secret_stops_signing_at_once(room: Room, app: FastAPI) -> None:
    with receiver() as rx:
        hook = register(room, rx.url, ["result.recorded"])
        path = f"/api/v1/webhooks/{hook['id']}/secret?keep_previous=false"
        rotated = room.client.post(path, headers=room.admin())
        assert rotated.status_code == 200 and rotated.json()["previous_secret_until"] is None
        session = room.open_session(["N001"])
        sit(room, session, "N001", 1)
        assert worker(app, room).run_once() == 1
        (sent,) = rx.received
        assert _signatures(sent) == [_mac(rotated.json()["secret"], sent)]


def test_rotating_an_unknown_or_deleted_webhooks_secret_is_404(room: Room) -> None:
    hook = register(room, "http://127.0.0.1:9/x")
    room.client.delete(f"/api/v1/webhooks/{hook['id']}", headers=room.admin())
    for webhook_id in (hook["id"], 999):
        response = room.client.post(f"/api/v1/webhooks/{webhook_id}/secret", headers=room.admin())
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
    bad = room.client.post(
        f"/api/v1/webhooks/{hook['id']}/secret?keep_previous=maybe", headers=room.admin()
    )
    assert bad.status_code == 422


def test_a_webhook_whose_secret_cannot_be_opened_does_not_hold_up_the_others(
    room: Room, app: FastAPI, db: Session
) -> None:
    """After the key-encryption key changed, a webhook's sealed secret cannot be opened: it
    waits, saying why, while the others are delivered; a new secret sets it going again."""
    from app import secretbox
    from app.webhooks.models import Webhook as WebhookRow

    with receiver() as rx:
        lost = register(room, rx.url + "/lost", ["result.recorded"])
        kept = register(room, rx.url + "/kept", ["result.recorded"])
        row = db.get(WebhookRow, lost["id"])
        assert row is not None
        row.secret = secretbox.current().seal(b"x", purpose="webhook-secret", name="another")
        db.flush()
        session = room.open_session(["N001"])
        sit(room, session, "N001", 1)
        assert worker(app, room).run_once() == 1
        assert [s.headers.get("webhook-id") for s in rx.received] == [
            deliveries(room, kept["id"])[0]["message_id"]
        ]
        (waiting,) = deliveries(room, lost["id"])
        assert waiting["status"] == "pending" and "cannot be opened" in waiting["last_error"]
        fresh = room.client.post(f"/api/v1/webhooks/{lost['id']}/secret", headers=room.admin())
        assert fresh.json()["previous_secret_until"] is None  # the lost one cannot sign
        room.clock.advance(seconds=worker(app, room).lease.total_seconds() + 1)
        assert worker(app, room).run_once() == 1
        verified(fresh.json()["secret"], rx.received[1])


def test_an_attempt_that_raises_is_a_failed_attempt_retried_like_any(
    room: Room, app: FastAPI, monkeypatch: Any
) -> None:
    """Whatever goes wrong inside the sender is recorded and retried with backoff, not left
    leased with a task's exception nobody reads."""
    from app.webhooks import sender

    async def boom(*args: Any, **kwargs: Any) -> sender.Outcome:
        raise RuntimeError("boom")

    hook = register(room, "http://127.0.0.1:9/x", ["result.recorded"])
    session = room.open_session(["N001"])
    sit(room, session, "N001", 1)
    monkeypatch.setattr(sender, "send", boom)
    assert worker(app, room).run_once() == 1
    (row,) = deliveries(room, hook["id"])
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"] == "RuntimeError: boom"
    assert _when(row["next_attempt_at"]) > room.clock.now()

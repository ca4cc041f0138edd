"""Idempotency-Key on POST /api/v1/sessions: an integrator's retry after a timeout scheduled
the same candidates twice, each with new codes (a trial). The same key and body are answered
as the first request was; another body is a 422; a failed request leaves no key; and two at
once on real PostgreSQL connections schedule once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.auth import tokens
from app.sittings.models import Sitting
from tests.factories import bearer
from tests.sittings.conftest import UNIT, Room
from tests.sittings.test_concurrency import fresh, live

__all__ = ["fresh", "live"]  # fixtures, used by name

BODY = {
    "centre": "C0042",
    "unit": UNIT,
    "scheduled_start": "2026-06-01T09:00:00Z",
    "candidates": ["N001", "N002"],
}


def post(room: Room, key: str | None, body: dict[str, Any] = BODY, **headers: str) -> Any:
    sent = {**room.admin(), **headers, **({"Idempotency-Key": key} if key else {})}
    return room.client.post("/api/v1/sessions", json=body, headers=sent)


def sittings(room: Room) -> int:
    return len(room.client.get("/api/v1/sessions", headers=room.admin()).json())


def test_a_retry_with_the_same_key_is_answered_not_done_again(room: Room) -> None:
    first = post(room, "3f1c2a9e-retry")
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = post(room, "3f1c2a9e-retry")
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()  # the same sitting and the same personal codes
    assert sittings(room) == 1
    assert post(room, "another-key").json()["id"] != first.json()["id"]
    assert post(room, None).status_code == 201  # without a key: each request is new
    assert sittings(room) == 3


def test_the_same_key_for_another_request_is_refused(room: Room) -> None:
    assert post(room, "k-1").status_code == 201
    other = post(room, "k-1", {**BODY, "candidates": ["N003"]})
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    assert sittings(room) == 1


def test_a_failed_request_leaves_no_key(room: Room) -> None:
    wrong = post(room, "k-2", {**BODY, "unit": "Z/999/9999"})
    assert wrong.status_code == 404
    assert post(room, "k-2").status_code == 201  # corrected, with the same key
    assert sittings(room) == 1


def test_keys_are_per_token_and_kept_for_a_day(room: Room, db: Session) -> None:
    assert post(room, "k-3").status_code == 201
    _, other = tokens.create_token(db, "second", [tokens.ADMIN], room.clock.now())
    db.flush()
    theirs = room.client.post(
        "/api/v1/sessions", json=BODY, headers={**bearer(other), "Idempotency-Key": "k-3"}
    )
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    room.clock.advance(hours=24, seconds=1)
    later = post(room, "k-3")
    assert later.status_code == 201 and "idempotent-replayed" not in later.headers
    assert sittings(room) == 3


def test_a_key_is_visible_ascii_of_at_most_255(room: Room) -> None:
    for bad in (b"with space", b"x" * 256, "caf\u00e9".encode()):
        refused = room.client.post(
            "/api/v1/sessions",
            json=BODY,
            headers=[(k.encode(), v.encode()) for k, v in room.admin().items()]
            + [(b"Idempotency-Key", bad)],
        )
        assert refused.status_code == 400, bad
    assert sittings(room) == 0


def test_two_at_once_with_one_key_schedule_once(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """On PostgreSQL the second waits on the key's unique index while the first builds the
    papers, then is told to retry (409) or, come later, gets the first one's answer."""
    app, _, token = live
    body = {**BODY, "centre": "C1", "candidates": ["K000", "K001"], "unit": "F/503/0358"}
    clients = [TestClient(app) for _ in range(4)]
    barrier = threading.Barrier(len(clients))

    def send(client: TestClient) -> tuple[int, Any]:
        barrier.wait()
        response = client.post(
            "/api/v1/sessions", json=body, headers={**bearer(token), "Idempotency-Key": "race"}
        )
        return response.status_code, response.json()

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(send, clients))
    assert {status for status, _ in answers} <= {201, 409}
    made = {answer["id"] for status, answer in answers if status == 201}
    assert len(made) == 1
    with fresh.connect() as conn:
        before = 1  # the fixture's own sitting
        assert conn.scalar(select(func.count()).select_from(Sitting)) == before + 1
    retry = clients[0].post(
        "/api/v1/sessions", json=body, headers={**bearer(token), "Idempotency-Key": "race"}
    )
    assert retry.status_code == 201 and retry.json()["id"] in made

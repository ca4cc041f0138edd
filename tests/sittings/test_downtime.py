"""Time the service was down is given back to every running attempt, journalled and shown."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.journal.models import JournalEntry
from app.main import create_app
from app.sittings import downtime
from tests.sittings.conftest import Room, code


def _register(room: Room, session_id: int) -> dict[str, dict[str, object]]:
    csrf = room.invigilate()
    body = room.client.get(f"/api/v1/sessions/{session_id}", headers={"X-CSRF-Token": csrf})
    return {line["candidate_number"]: line for line in body.json()["candidates"]}


def test_a_gap_between_beats_is_credited_to_running_attempts_only(room: Room, db: Session) -> None:
    session = room.open_session(["N001", "N002", "N003"])
    room.sign_in("N001", code(session, "N001"))
    before = room.attempt()["remaining_seconds"]
    room.client.cookies.clear()
    room.sign_in("N002", code(session, "N002"))
    room.client.cookies.clear()
    staff = room.invigilate()
    room.act(staff, session["id"], "candidates/N002/pause")  # its clock is stopped anyway
    assert downtime.beat(db, room.clock.now()) == 0  # the first beat
    room.clock.advance(seconds=4)
    assert downtime.beat(db, room.clock.now()) == 0  # running normally
    room.clock.advance(seconds=51)  # down for 51 s: no beat in between
    assert downtime.beat(db, room.clock.now()) == 1
    room.client.cookies.clear()
    room.sign_in("N001", code(session, "N001"))
    assert room.attempt()["remaining_seconds"] == before - 55 + 51
    room.client.cookies.clear()
    lines = _register(room, session["id"])
    assert (lines["N001"]["credited_seconds"], lines["N002"]["credited_seconds"]) == (51, 0)
    assert lines["N003"]["credited_seconds"] == 0  # not started: nothing to give back
    credited = db.scalar(select(JournalEntry).where(JournalEntry.event == "time_credited"))
    assert credited is not None and credited.data["seconds"] == 51


def test_a_worker_credits_downtime_before_it_serves(room: Room, db: Session) -> None:
    """An attempt whose deadline fell while the service was down is not timed out by the
    first request after the restart: the restart's beat gives the time back first."""
    session = room.open_session(["N001"], duration_minutes=1)
    room.sign_in("N001", code(session, "N001"))
    downtime.beat(db, room.clock.now())
    room.clock.advance(seconds=90)  # down across the deadline
    serving: Any = room.client.app
    restarted_app = create_app(
        serving.state.settings.model_copy(update={"sweeper": True}), clock=room.clock
    )
    restarted_app.state.sessionmaker = serving.state.sessionmaker  # the test's transaction
    with TestClient(restarted_app) as restarted:  # the lifespan runs: beat before serving
        restarted.cookies = room.client.cookies
        attempt = restarted.get("/api/v1/attempt").json()
    assert attempt["status"] == "in_progress"
    assert attempt["remaining_seconds"] == 60

"""Opening the exam page's event stream (events._open): one read, presence as a hint when it is
due, and the full path (a Session, the attempt locked) whenever opening the page settles or
notes anything else."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.db import transaction
from app.errors import Unauthorized
from app.journal.models import JournalEntry
from app.sittings import events, repository
from app.sittings.devices import MovedElsewhere
from app.sittings.models import Attempt
from app.sittings.status import AttemptStatus
from app.sittings.tickets import Ticket
from tests.sittings.conftest import Room, code


def seated(room: Room, number: str = "N001") -> tuple[Any, Ticket]:
    """A candidate signed in (no page open yet): the app, and the ticket their cookie holds."""
    session = room.open_session([number])
    _, attempt_id = room.sign_in(number, code(session, number))
    app = room.client.app
    attempt = stored(app, attempt_id)
    return app, Ticket(attempt_id, "csrf", attempt.admission, attempt.device_hash)


def stored(app: Any, attempt_id: int) -> Attempt:
    with transaction(app.state.sessionmaker, write=False) as db:
        attempt = db.get(Attempt, attempt_id)
        assert attempt is not None
        db.expunge(attempt)
        return attempt


def sent(first: str) -> dict[str, Any]:
    assert first.startswith("event: state\n")
    return dict(json.loads(first.split("data: ", 1)[1]))


def no_full_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("the full path was taken")

    monkeypatch.setattr(events, "_open_full", refuse)


def test_the_first_opening_marks_the_page_seen_on_the_quiet_path(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, ticket = seated(room)
    assert stored(app, ticket.attempt_id).page_seen_at is None  # signed in, no page yet
    room.clock.advance(seconds=3)
    now = room.clock.now()
    no_full_path(monkeypatch)
    first, fingerprint = events._open(app, ticket)
    attempt = stored(app, ticket.attempt_id)
    assert attempt.page_seen_at == now and attempt.last_seen_at == now
    assert fingerprint == repository.fingerprint(attempt)
    state = sent(first)
    assert state["status"] == AttemptStatus.IN_PROGRESS
    assert state["remaining_seconds"] == attempt.allowed_seconds - 3
    assert state["admission"] == attempt.admission


def test_a_reopening_within_seen_every_writes_nothing(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, ticket = seated(room)
    events._open(app, ticket)
    opened_at = stored(app, ticket.attempt_id).page_seen_at
    room.clock.advance(seconds=10)  # a dropped stream, reopened: presence is not due yet
    no_full_path(monkeypatch)

    def no_write(*_: object) -> None:
        raise AssertionError("presence written")

    monkeypatch.setattr(repository, "mark_pages_seen", no_write)
    first, _ = events._open(app, ticket)
    assert stored(app, ticket.attempt_id).page_seen_at == opened_at
    assert sent(first)["status"] == AttemptStatus.IN_PROGRESS


def test_a_stream_from_a_device_that_does_not_hold_the_paper_is_not_its_page(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, ticket = seated(room)
    no_full_path(monkeypatch)
    first, _ = events._open(app, Ticket(ticket.attempt_id, "csrf", ticket.admission, "0" * 64))
    assert stored(app, ticket.attempt_id).page_seen_at is None
    assert sent(first)["status"] == AttemptStatus.IN_PROGRESS


def test_opening_after_the_end_submits_the_attempt_first(room: Room) -> None:
    app, ticket = seated(room)
    allowed = stored(app, ticket.attempt_id).allowed_seconds
    room.clock.advance(seconds=allowed + 60)
    first, fingerprint = events._open(app, ticket)
    attempt = stored(app, ticket.attempt_id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert sent(first)["status"] == AttemptStatus.SUBMITTED
    assert fingerprint == repository.fingerprint(attempt)


def present(app: Any, attempt_id: int, **columns: Any) -> None:
    """Set columns of the attempt as stored (presence kept fresh by the room's loop, say)."""
    with transaction(app.state.sessionmaker) as db:
        attempt = db.get(Attempt, attempt_id)
        assert attempt is not None
        for name, value in columns.items():
            setattr(attempt, name, value)


def test_a_reopening_just_after_the_end_submits_though_the_page_was_seen(room: Room) -> None:
    """Time up with presence fresh (the room's loop wrote it a moment ago): the end alone takes
    the full path, and the page is told it is over."""
    app, ticket = seated(room)
    allowed = stored(app, ticket.attempt_id).allowed_seconds
    room.clock.advance(seconds=allowed + 10)  # past the deadline and its grace (5 s)
    present(app, ticket.attempt_id, last_seen_at=room.clock.now(), page_seen_at=room.clock.now())
    first, _ = events._open(app, ticket)
    assert stored(app, ticket.attempt_id).status == AttemptStatus.SUBMITTED
    assert sent(first)["status"] == AttemptStatus.SUBMITTED


def test_a_reopening_on_the_instructions_after_the_reading_time_starts_the_clock(
    room: Room,
) -> None:
    """A page on the instructions, its presence fresh, reopening once the session's reading
    time has run out: the full path starts the clock from the reading time's end."""
    app, ticket = seated(room)
    now = room.clock.now()
    present(
        app,
        ticket.attempt_id,
        status=AttemptStatus.NOT_STARTED,
        started_at=None,
        deadline_at=None,
        reading_until=now + timedelta(seconds=10),
    )
    room.clock.advance(seconds=15)
    present(app, ticket.attempt_id, last_seen_at=room.clock.now(), page_seen_at=room.clock.now())
    first, _ = events._open(app, ticket)
    attempt = stored(app, ticket.attempt_id)
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.started_at == now + timedelta(seconds=10) and attempt.reading_until is None
    assert sent(first)["status"] == AttemptStatus.IN_PROGRESS


def test_opening_after_a_silence_counts_the_time_lost(room: Room) -> None:
    """Presence due and the candidate silent past DISCONNECTED_AFTER while the clock ran: the
    full path notes it, as any other request from the page would."""
    app, ticket = seated(room)
    room.clock.advance(seconds=100)
    first, _ = events._open(app, ticket)
    attempt = stored(app, ticket.attempt_id)
    assert attempt.lost_seconds == 100
    assert attempt.page_seen_at == room.clock.now()
    with transaction(app.state.sessionmaker, write=False) as db:
        journal = db.scalars(select(JournalEntry.event).order_by(JournalEntry.id)).all()
    assert journal[-1] == "reconnected"
    assert sent(first)["status"] == AttemptStatus.IN_PROGRESS


def test_a_superseded_sign_in_or_a_missing_attempt_opens_no_stream(room: Room) -> None:
    app, ticket = seated(room)
    with transaction(app.state.sessionmaker) as db:
        attempt = db.get(Attempt, ticket.attempt_id)
        assert attempt is not None
        attempt.admission += 1  # the paper was given to a later sign-in
    with pytest.raises(MovedElsewhere):
        events._open(app, ticket)
    with pytest.raises(Unauthorized):
        events._open(app, Ticket(ticket.attempt_id + 1000, "csrf", 0, ticket.device_hash))


def test_streams_open_one_at_a_time_and_the_rest_wait_on_the_event_loop(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A room's pages reconnecting at once: each opening takes a connection of the requests'
    pool outside the request cap, so no more than OPENING_AT_ONCE run together (unbounded,
    hundreds queued for the pool's connections ahead of the saves in the 10,000-candidate run);
    every one is answered."""
    app, ticket = seated(room)
    hub = events.RoomEvents(app)
    running, most = 0, 0
    lock = threading.Lock()

    def slow_open(_: Any, opened: Ticket) -> tuple[str, tuple[object, ...]]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return f"frame {opened.attempt_id}", ()

    monkeypatch.setattr(events, "_open", slow_open)

    async def reconnect_storm() -> list[tuple[str, tuple[object, ...]]]:
        return await asyncio.gather(*(hub.open(ticket) for _ in range(12)))

    opened = asyncio.run(reconnect_storm())
    assert opened == [(f"frame {ticket.attempt_id}", ())] * 12
    assert most == events.OPENING_AT_ONCE == 1

"""The room's loop behind the exam page's event stream: a frame for a page whose state changed,
none for the others, every page again at each clock resync."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from app.db import transaction
from app.sittings import events, repository
from app.sittings.models import Attempt
from app.sittings.status import AttemptStatus
from tests.sittings.conftest import Room, code


def test_a_frame_goes_only_to_the_page_whose_state_changed(room: Room) -> None:
    session = room.open_session(["N001", "N002"])
    attempt_ids = []
    for number in ("N001", "N002"):
        room.client.cookies.clear()
        attempt_ids.append(room.sign_in(number, code(session, number))[1])
    app = room.client.app
    assert isinstance(room.client, TestClient)
    hub = events.RoomEvents(app)  # type: ignore[arg-type]
    with transaction(app.state.sessionmaker, write=False) as db:  # type: ignore[attr-defined]
        for attempt_id in attempt_ids:
            attempt = db.get(Attempt, attempt_id)
            assert attempt is not None
            sub = events.Subscriber(attempt_id, attempt.device_hash, attempt.admission)
            hub.subscribers.setdefault(attempt_id, set()).add(sub)
            hub.seen[attempt_id] = repository.fingerprint(attempt)
    assert hub.poll() == {}  # nothing changed: nothing sent, the clocks not even read

    staff = room.invigilate()
    assert room.act(staff, session["id"], "candidates/N001/pause").status_code == 200
    frames = hub.poll()
    assert list(frames) == [attempt_ids[0]]
    data = json.loads(frames[attempt_ids[0]].split("data: ", 1)[1])
    assert data["status"] == "paused"
    assert hub.poll() == {}  # told once

    hub.polls = hub.resync_every - 1  # the next poll resyncs every clock
    assert sorted(hub.poll()) == sorted(attempt_ids)


def test_presence_marks_every_open_page_of_its_own_device_in_one_write(room: Room) -> None:
    """hub.present(): each open page's attempt is seen now, on the device that holds it; a
    stream from a superseded device, or of a submitted attempt, marks nothing."""
    session = room.open_session(["N003", "N004", "N005"])
    attempt_ids = []
    for number in ("N003", "N004", "N005"):
        room.client.cookies.clear()
        attempt_ids.append(room.sign_in(number, code(session, number))[1])
    app = room.client.app
    assert isinstance(room.client, TestClient)
    factory = app.state.sessionmaker  # type: ignore[attr-defined]
    hub = events.RoomEvents(app)  # type: ignore[arg-type]
    with transaction(factory) as db:
        for n, attempt_id in enumerate(attempt_ids):
            attempt = db.get(Attempt, attempt_id)
            assert attempt is not None and attempt.device_hash
            # N004's stream comes from a device that no longer holds the paper.
            device = "0" * 64 if n == 1 else attempt.device_hash
            sub = events.Subscriber(attempt_id, device, attempt.admission)
            hub.subscribers.setdefault(attempt_id, set()).add(sub)
            attempt.page_seen_at = attempt.last_seen_at = None
        submitted = db.get(Attempt, attempt_ids[2])
        assert submitted is not None
        submitted.status = AttemptStatus.SUBMITTED
    room.clock.advance(seconds=7)
    now = room.clock.now()
    hub.present()
    with transaction(factory, write=False) as db:
        seen = {i: db.get(Attempt, i) for i in attempt_ids}
        assert seen[attempt_ids[0]] is not None and seen[attempt_ids[0]].page_seen_at == now
        assert seen[attempt_ids[0]].last_seen_at == now  # type: ignore[union-attr]
        assert seen[attempt_ids[1]].page_seen_at is None  # type: ignore[union-attr]
        assert seen[attempt_ids[2]].page_seen_at is None  # type: ignore[union-attr]

"""The room's loop behind the exam page's event stream: a frame for a page whose state changed,
none for the others, every page again at each clock resync."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from app.db import transaction
from app.sittings import events, repository
from app.sittings.models import Attempt
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

    hub.polls = events.CLOCK_EVERY_POLLS - 1  # the next poll resyncs every clock
    assert sorted(hub.poll()) == sorted(attempt_ids)

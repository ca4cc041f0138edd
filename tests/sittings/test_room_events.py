"""The room's loop behind the exam page's event stream: a frame for a page whose state changed,
none for the others, every page again at each clock resync."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from app.db import transaction
from app.sittings import events, repository
from app.sittings.models import Attempt
from app.sittings.status import AttemptStatus
from tests.sittings.conftest import Room, code


def signed_in(room: Room, *numbers: str) -> tuple[dict[str, Any], list[int]]:
    """A session open for these candidates, each signed in: the session, their attempts."""
    session = room.open_session(list(numbers))
    ids = []
    for number in numbers:
        room.client.cookies.clear()
        ids.append(room.sign_in(number, code(session, number))[1])
    return session, ids


def off_turn(hub: events.RoomEvents, attempt_ids: list[int]) -> events.RoomEvents:
    """The hub, its next poll the resync turn of none of these pages."""
    taken = {i % hub.resync_every for i in attempt_ids}
    hub.polls = min(set(range(hub.resync_every)) - taken) - 1
    return hub


def test_a_frame_goes_only_to_the_page_whose_state_changed(room: Room) -> None:
    session, attempt_ids = signed_in(room, "N001", "N002")
    app = room.client.app
    assert isinstance(room.client, TestClient)
    hub = events.RoomEvents(app)  # type: ignore[arg-type]
    # The first poll reads each new page again; the page was sent that state when its
    # stream opened, so nothing is sent now (opened() checks it).
    opened(room, hub, *attempt_ids)
    assert off_turn(hub, attempt_ids).poll() == {}  # nothing changed: nothing sent

    staff = room.invigilate()
    assert room.act(staff, session["id"], "candidates/N001/pause").status_code == 200
    frames = off_turn(hub, attempt_ids).poll()
    assert list(frames) == [attempt_ids[0]]
    text, admission = frames[attempt_ids[0]]
    data = json.loads(text.split("data: ", 1)[1])
    assert data["status"] == "paused"
    assert admission == data["admission"]  # a stream compares it without parsing the frame
    assert off_turn(hub, attempt_ids).poll() == {}  # told once

    # Each page is resynced once every resync_every polls, on its own turn (by attempt id),
    # whether or not it changed: over one period, each exactly once, never all at once.
    resynced: list[int] = []
    for _ in range(hub.resync_every):
        frames = hub.poll()
        resynced += frames
    assert sorted(resynced) == sorted(attempt_ids)
    for attempt_id in attempt_ids:
        hub.polls = attempt_id % hub.resync_every - 1  # the poll before this page's turn
        assert list(hub.poll()) == [attempt_id]


def test_resync_turns_spread_every_page_evenly_over_the_period(room: Room) -> None:
    """5,000 open pages a worker: each poll resyncs about 1/resync_every of them, and over a
    period every page exactly once (all at once held the event loop for half a second)."""
    hub = events.RoomEvents(room.client.app)  # type: ignore[arg-type]
    pages = list(range(1_000, 6_000))
    turns = []
    for poll in range(1, hub.resync_every + 1):
        hub.polls = poll
        turns.append(hub.due(pages))
    assert sorted(i for turn in turns for i in turn) == pages
    assert max(map(len, turns)) == min(map(len, turns)) == len(pages) // hub.resync_every


def test_presence_marks_every_open_page_of_its_own_device_in_one_write(room: Room) -> None:
    """hub.present(): each open page's attempt is seen now, on the device that holds it; a
    stream from a superseded device, or of a submitted attempt, marks nothing."""
    _, attempt_ids = signed_in(room, "N003", "N004", "N005")
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
            hub.add(sub, repository.fingerprint(attempt))
            attempt.page_seen_at = attempt.last_seen_at = None
        submitted = db.get(Attempt, attempt_ids[2])
        assert submitted is not None
        submitted.status = AttemptStatus.SUBMITTED
    room.clock.advance(seconds=7)
    now = room.clock.now()
    # By turns (the loop's each second): the turn of another attempt writes nothing here.
    theirs = {i % hub.presence_every for i in attempt_ids}
    hub.present(turn=min(set(range(hub.presence_every)) - theirs))
    with transaction(factory, write=False) as db:
        untouched = [db.get(Attempt, i) for i in attempt_ids]
        assert all(a is not None and a.page_seen_at is None for a in untouched)
    # N003's own turn writes N003's page alone.
    hub.present(turn=attempt_ids[0] % hub.presence_every)
    with transaction(factory, write=False) as db:
        marked = [db.get(Attempt, i) for i in attempt_ids]
        assert [a is not None and a.page_seen_at == now for a in marked] == [True, False, False]
    hub.present()  # every page
    with transaction(factory, write=False) as db:
        seen = {i: db.get(Attempt, i) for i in attempt_ids}
        first, second, third = (seen[i] for i in attempt_ids[:3])
        assert first is not None and second is not None and third is not None
        assert first.page_seen_at == now and first.last_seen_at == now
        assert second.page_seen_at is None
        assert third.page_seen_at is None


def page_seq(factory: Any, attempt_id: int) -> int:
    with transaction(factory, write=False) as db:
        return db.execute(select(Attempt.page_seq).where(Attempt.id == attempt_id)).scalar_one()


def test_the_database_numbers_a_change_in_each_fingerprint_column_and_only_there(
    room: Room,
) -> None:
    """The trigger (migration 3c1e5a7d9b02) gives an attempt the next number when any
    FINGERPRINT column changes (NULL to a time and back included), in that attempt alone; a
    column the page does not follow (last_seen_at), or a column written with the value it had,
    is not a change. The room's feed on this database finds each change, and only it."""
    _, ids = signed_in(room, "N001", "N002")
    app = room.client.app
    factory = app.state.sessionmaker  # type: ignore[attr-defined]
    hub = events.RoomEvents(app)  # type: ignore[arg-type]
    feed = hub.feed
    for attempt_id in ids:
        feed.add(attempt_id)

    def changed() -> list[int]:
        with transaction(factory, write=False) as db:
            rows, done = feed.changed(db)
        done()
        return sorted(row.id for row in rows)

    changed()  # the first read: every new page, and where the feed starts
    assert changed() == []
    later = room.clock.now().replace(microsecond=0)
    edits: list[tuple[dict[str, object], bool]] = [
        ({"status": AttemptStatus.PAUSED}, True),
        ({"allowed_seconds": 3601}, True),
        ({"paused_seconds": 61}, True),
        ({"admission": 7}, True),
        ({"break_started_at": later}, True),
        ({"break_started_at": None}, True),
        ({"reading_until": later}, True),
        ({"last_seen_at": later, "page_seen_at": later}, False),  # not followed by the page
        ({"status": AttemptStatus.PAUSED, "admission": 7}, False),  # written as they are
    ]
    last = max(page_seq(factory, i) for i in ids)
    other = page_seq(factory, ids[1])
    for values, is_change in edits:
        with transaction(factory) as db:
            db.execute(update(Attempt).where(Attempt.id == ids[0]).values(**values))
        now = page_seq(factory, ids[0])
        assert page_seq(factory, ids[1]) == other, values
        if not is_change:
            assert now == last and changed() == [], values
            continue
        assert now > last, values
        last = now
        assert changed() == [ids[0]], values
        assert changed() == [], values


def test_a_bulk_update_numbers_each_attempt_it_changes(room: Room) -> None:
    """The sweeper and the room's close change many attempts in one statement: each gets its
    own number, all past every earlier one."""
    _, ids = signed_in(room, "N001", "N002", "N003")
    factory = room.client.app.state.sessionmaker  # type: ignore[attr-defined]
    before = max(page_seq(factory, i) for i in ids)
    with transaction(factory) as db:
        db.execute(update(Attempt).where(Attempt.id.in_(ids)).values(status=AttemptStatus.PAUSED))
    after = [page_seq(factory, i) for i in ids]
    assert len(set(after)) == 3 and min(after) > before


def opened(room: Room, hub: events.RoomEvents, *attempt_ids: int) -> None:
    """Pages of these attempts open on the hub, as their streams would, read once."""
    factory = room.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with transaction(factory, write=False) as db:
        for attempt_id in attempt_ids:
            attempt = db.get(Attempt, attempt_id)
            assert attempt is not None
            sub = events.Subscriber(attempt_id, attempt.device_hash, attempt.admission)
            hub.add(sub, repository.fingerprint(attempt))
    assert off_turn(hub, list(attempt_ids)).poll() == {}


def test_a_poll_that_fails_after_reading_a_change_sends_it_at_the_next(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed moves past a change only once the poll has made its frame: a poll that reads
    the change and then fails (here the resync's read) leaves it for the next poll."""
    session, ids = signed_in(room, "N001", "N002")
    hub = events.RoomEvents(room.client.app)  # type: ignore[arg-type]
    opened(room, hub, *ids)
    staff = room.invigilate()
    assert room.act(staff, session["id"], "candidates/N001/pause").status_code == 200

    def down(*_: object) -> list[repository.PageRow]:
        raise RuntimeError("the database went away mid-poll")

    hub.polls = ids[1] % hub.resync_every - 1  # the next poll resyncs N002's page
    with monkeypatch.context() as patched:
        patched.setattr(repository, "page_states", down)
        with pytest.raises(RuntimeError):
            hub.poll()
    frames = off_turn(hub, ids).poll()
    assert list(frames) == [ids[0]]
    assert json.loads(frames[ids[0]][0].split("data: ", 1)[1])["status"] == "paused"


def test_a_second_page_of_an_open_attempt_that_missed_a_change_is_sent_it(room: Room) -> None:
    """A second tab (or a reload whose old stream is still open) read its first state before a
    change that the loop then read and sent to the first tab: the next poll sends the state
    as it is to both, not only at the next resync."""
    session, ids = signed_in(room, "N001", "N002")
    app = room.client.app
    factory = app.state.sessionmaker  # type: ignore[attr-defined]
    hub = events.RoomEvents(app)  # type: ignore[arg-type]
    opened(room, hub, ids[0])
    with transaction(factory, write=False) as db:
        attempt = db.get(Attempt, ids[0])
        assert attempt is not None
        second_tab = events.Subscriber(ids[0], attempt.device_hash, attempt.admission)
        as_opened = repository.fingerprint(attempt)
    staff = room.invigilate()
    assert room.act(staff, session["id"], "candidates/N001/pause").status_code == 200
    assert list(off_turn(hub, ids).poll()) == [ids[0]]  # to the first tab
    hub.add(second_tab, as_opened)
    frames = off_turn(hub, ids).poll()
    assert list(frames) == [ids[0]]
    assert json.loads(frames[ids[0]][0].split("data: ", 1)[1])["status"] == "paused"
    assert off_turn(hub, ids).poll() == {}


def test_numbers_are_never_given_out_again_after_an_attempt_is_deleted(room: Room) -> None:
    """An attempt deleted by hand took the highest number with it: the next change is still
    numbered past it, or a reader already past it would skip that change."""
    _, ids = signed_in(room, "N001", "N002")
    factory = room.client.app.state.sessionmaker  # type: ignore[attr-defined]

    def pause(attempt_id: int) -> None:
        with transaction(factory) as db:
            db.execute(update(Attempt).where(Attempt.id == attempt_id).values(status="paused"))

    pause(ids[0])
    highest = page_seq(factory, ids[0])
    with transaction(factory) as db:
        db.execute(delete(Attempt).where(Attempt.id == ids[0]))
    pause(ids[1])
    assert page_seq(factory, ids[1]) > highest


def test_a_page_that_joins_after_its_change_was_read_is_sent_it(room: Room) -> None:
    """A page's stream reads its first state, the invigilator pauses it, and a poll reads that
    change before the page has joined the loop: the page, once joined, is still sent it (its
    first poll reads it again), on either database's feed."""
    session, ids = signed_in(room, "N001", "N002")
    app = room.client.app
    factory = app.state.sessionmaker  # type: ignore[attr-defined]
    hub = off_turn(events.RoomEvents(app), ids)  # type: ignore[arg-type]
    with transaction(factory, write=False) as db:
        first, second = (db.get(Attempt, i) for i in ids)
        assert first is not None and second is not None
        hub.add(events.Subscriber(ids[0], first.device_hash, 0), repository.fingerprint(first))
        as_opened = repository.fingerprint(second)  # N002's stream's first read
    assert off_turn(hub, ids).poll() == {}
    staff = room.invigilate()
    assert room.act(staff, session["id"], "candidates/N002/pause").status_code == 200
    assert off_turn(hub, ids).poll() == {}  # read, but N002's page is not here yet
    hub.add(events.Subscriber(ids[1], second.device_hash, 0), as_opened)
    frames = off_turn(hub, ids).poll()
    assert list(frames) == [ids[1]]
    assert json.loads(frames[ids[1]][0].split("data: ", 1)[1])["status"] == "paused"
    assert off_turn(hub, ids).poll() == {}


@pytest.mark.parametrize(
    "statement, parameters, search",
    [
        (repository._SINCE, (0,), "USING INDEX ix_attempts_page_seq (page_seq>?)"),
        (
            repository._MARK_SEEN_JSON,
            ("2026-12-06", "2026-12-06", '[[1, "d"]]', "a", "b"),
            "USING INTEGER PRIMARY KEY",
        ),
    ],
    ids=["pages_changed_since", "mark_pages_seen"],
)
def test_the_room_loops_statements_find_their_rows_by_an_index_on_sqlite(
    room: Room, statement: object, parameters: tuple[str, ...], search: str
) -> None:
    """The room loop's statements on SQLite: the changes by the index on their numbers, the
    open pages' presence by primary key; never a scan of every attempt of every sitting."""
    app = room.client.app
    if app.state.engine.dialect.name != "sqlite":  # type: ignore[attr-defined]
        pytest.skip("PostgreSQL's plan depends on its statistics (the JSON join is the same)")
    sql = str(statement.compile(app.state.engine))  # type: ignore[attr-defined]
    with app.state.engine.connect() as connection:  # type: ignore[attr-defined]
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "SCAN attempts" not in details and search in details, details

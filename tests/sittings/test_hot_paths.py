"""The hot paths' rules: the heartbeat reads unless presence is due, takes no SQLite write lock,
and the sweeper works in bounded batches, one sweeper at a time, passing over locked attempts."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from app.auth import throttle
from app.db import make_sessionmaker, unit_of_work
from app.errors import Throttled
from app.journal import service as journal
from app.journal.models import JournalEntry
from app.sittings import repository, service, sweeper
from app.sittings.devices import DISCONNECTED_AFTER, SEEN_EVERY
from app.sittings.models import Attempt
from tests.sittings.test_concurrency import fresh, live, signed_in  # noqa: F401  (fixtures)
from tests.statements import statements

PAGE = {"X-Examhall-Page": "1"}


def _seen(engine: Engine) -> tuple[object, object]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Attempt.last_seen_at, Attempt.page_seen_at).where(
                Attempt.status == "in_progress"
            )
        ).one()
    return row[0], row[1]


def test_presence_is_written_only_when_it_is_due(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
    fresh: Engine,  # noqa: F811
) -> None:
    app, codes, _ = live
    client, _ = signed_in(app, "K000", codes)
    assert client.get("/api/v1/attempt/clock", headers=PAGE).status_code == 200
    first = _seen(fresh)
    assert first[1] is not None  # the page's first report is stored
    app.state.clock.advance(seconds=SEEN_EVERY.total_seconds() - 1)
    assert client.get("/api/v1/attempt/clock", headers=PAGE).status_code == 200
    assert _seen(fresh) == first  # a report that changes nothing writes nothing
    app.state.clock.advance(seconds=1)
    assert client.get("/api/v1/attempt/clock", headers=PAGE).status_code == 200
    later = _seen(fresh)
    assert later[0] != first[0] and later[1] != first[1]


def test_the_heartbeat_answers_while_another_transaction_holds_sqlites_write_lock(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
    fresh: Engine,  # noqa: F811
) -> None:
    if fresh.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    app, codes, _ = live
    client, _ = signed_in(app, "K000", codes)
    assert client.get("/api/v1/attempt/clock", headers=PAGE).status_code == 200
    writer = sqlite3.connect(fresh.url.database or "", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # held until the end of the test
    try:
        app.state.clock.advance(seconds=1)
        response = client.get("/api/v1/attempt/clock", headers=PAGE)
        assert response.status_code == 200 and response.json()["status"] == "in_progress"
        assert client.get("/api/v1/attempt").status_code == 200  # the paper too
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_the_heartbeat_settles_an_attempt_whose_time_ran_out(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
) -> None:
    app, codes, _ = live
    client, _ = signed_in(app, "K000", codes)
    app.state.clock.advance(hours=3)
    body = client.get("/api/v1/attempt/clock", headers=PAGE).json()
    assert body["status"] == "submitted" and body["remaining_seconds"] == 0


def test_the_sweeper_submits_in_bounded_batches(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
    fresh: Engine,  # noqa: F811
) -> None:
    app, codes, _ = live
    for n in range(5):
        signed_in(app, f"K{n:03d}", codes)
    app.state.clock.advance(hours=3)
    assert sweeper.sweep_once(app, batch=2) == 5  # three transactions: 2, 2 and 1
    with fresh.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM attempts WHERE status = 'in_progress'")) == 0


def test_one_sweeper_at_a_time_and_locked_attempts_are_passed_over(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
    fresh: Engine,  # noqa: F811
) -> None:
    if fresh.dialect.name != "postgresql":
        pytest.skip("advisory locks and SKIP LOCKED are PostgreSQL's")
    app, codes, _ = live
    for n in range(3):
        signed_in(app, f"K{n:03d}", codes)
    app.state.clock.advance(hours=3)
    maker = make_sessionmaker(fresh)
    with maker() as other:  # another worker's sweeper holds the turn
        assert repository.take_sweeper_turn(other)
        assert sweeper.sweep_once(app) == 0
        other.rollback()
    with maker() as request:  # a request holds one attempt (a late save, say)
        first = request.scalars(select(Attempt).order_by(Attempt.id).limit(1)).one()
        repository.lock_attempt(request, first.id)
        done: list[int] = []
        thread = threading.Thread(target=lambda: done.append(sweeper.sweep_once(app)))
        thread.start()
        thread.join(10)
        assert done == [2]  # the other two, without waiting for the held one
        request.rollback()
    assert sweeper.sweep_once(app) == 1


def test_seen_every_keeps_a_reporting_page_inside_the_disconnection_threshold() -> None:
    from app.sittings.devices import DISCONNECTED_AFTER

    heartbeat = timedelta(seconds=10)  # static/js/exam.js
    assert SEEN_EVERY + heartbeat < DISCONNECTED_AFTER


def _sign_ins(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(JournalEntry.data)
            .where(JournalEntry.event == "signed_in")
            .order_by(JournalEntry.chain, JournalEntry.seq)
        )
        return [dict(data) for (data,) in rows]


def test_a_returning_sign_in_takes_the_quiet_path_and_is_journalled_as_the_full_one(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
    fresh: Engine,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, codes, _ = live
    full: list[int] = []
    login_write = service.login_write

    def counted(*a: Any, **k: Any) -> Any:
        full.append(1)
        return login_write(*a, **k)

    monkeypatch.setattr(service, "login_write", counted)
    client, _ = signed_in(app, "K000", codes)  # the first: the full path starts the clock
    assert len(full) == 1
    body = {"candidate_number": "K000", "access_code": codes["K000"]}

    def again() -> dict[str, object]:
        response = client.post("/api/v1/auth/candidate", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    out = again()  # the same device, seen just now: the quiet path
    assert len(full) == 1 and out["admission"] == "admitted" and out["attempt_id"]
    first, returning = _sign_ins(fresh)
    assert first["first"] is True and returning["first"] is False
    assert first.keys() == returning.keys() == {"first", "address", "device", "user_agent"}
    assert returning["device"] == first["device"]

    # Presence due (seen 21 s ago, within DISCONNECTED_AFTER): still quiet, and written.
    before = _seen(fresh)[0]
    app.state.clock.advance(seconds=SEEN_EVERY.total_seconds() + 1)
    again()
    assert len(full) == 1 and _seen(fresh)[0] != before

    # Silent for longer than DISCONNECTED_AFTER: the full path counts the time lost.
    app.state.clock.advance(seconds=DISCONNECTED_AFTER.total_seconds() + 1)
    again()
    assert len(full) == 2
    with fresh.connect() as conn:
        lost = conn.execute(select(Attempt.lost_seconds).where(Attempt.id == out["attempt_id"]))
        assert lost.scalar_one() > 0

    # Another device: the full path decides. A wrong guess takes it too (it is counted); the
    # right code after it is quiet again: a browser's count never holds back a right code.
    other = TestClient(app)
    assert other.post("/api/v1/auth/candidate", json=body).status_code == 200
    assert len(full) == 3
    wrong = {"candidate_number": "K000", "access_code": "WRONG-CODE"}
    assert other.post("/api/v1/auth/candidate", json=wrong).status_code == 401
    assert other.post("/api/v1/auth/candidate", json=body).status_code == 200
    assert len(full) == 4  # the wrong guess only
    for db in unit_of_work(make_sessionmaker(fresh), write=False):
        assert journal.verify(db)[1] == []  # every chain still verifies


def test_a_sign_ins_lookup_reads_the_rooms_throttle_key_in_its_own_statement(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
    fresh: Engine,  # noqa: F811
) -> None:
    """The code's lookup brings the room's throttle row with it (one statement, not two); a
    key without a row is absent; a code that opens nothing brings none, and login_read then
    reads it alone. A browser's own count is not read: it never refuses a right code. A locked
    room refuses even the right code."""
    app, codes, _ = live
    settings, now = app.state.settings, app.state.clock.now()
    factory = make_sessionmaker(fresh)
    browser, room = service._guess_limits(settings, "10.1.2.3", "d" * 64)
    with statements(fresh) as sent:
        for db in unit_of_work(factory, write=True):
            found = repository.for_login(db, "k000", codes["K000"], room.key)
            nothing = repository.for_login(db, "K000", "NOTACODE", room.key)
    selects = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2  # one each
    assert len(found.matches) == 1
    assert found.keys == {}  # the room's key has no row yet
    assert nothing.matches == [] and nothing.keys == {}
    for db in unit_of_work(factory, write=True):
        throttle.count(db, now, room)  # one wrong guess in the room: counted, not locked
        for _ in range(settings.candidate_device_failures):
            throttle.fail(db, now, browser)  # this browser's count spent: no matter here
    for db in unit_of_work(factory, write=True):
        found = repository.for_login(db, "K000", codes["K000"], room.key)
    assert list(found.keys) == [room.key] and found.keys[room.key].failures == 1
    assert found.keys[room.key].locked_until is None

    for db in unit_of_work(factory, write=True):
        for _ in range(settings.candidate_address_failures):
            throttle.count(db, now, room)  # the room's circuit breaker trips
    for db in unit_of_work(factory, write=True):
        found = repository.for_login(db, "K000", codes["K000"], room.key)
        assert found.keys[room.key].failures == settings.candidate_address_failures + 1
        locked_until = found.keys[room.key].locked_until
        assert locked_until is not None and locked_until > now
    for code in (codes["K000"], "NOTACODE"):  # refused, whether the code is right or not
        with pytest.raises(Throttled):
            for db in unit_of_work(factory, write=True):
                service.login_read(
                    db,
                    settings,
                    now,
                    candidate_number="K000",
                    access_code=code,
                    address="10.1.2.3",
                    device="x" * 32,
                )

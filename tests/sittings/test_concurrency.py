"""Real concurrent requests on separate connections, real commits, on a database of their own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text, update

from app.auth import tokens
from app.candidates import service as candidates
from app.centres import service as centres
from app.clock import MovableClock
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.main import create_app
from app.marking.models import Result
from app.migrate import upgrade
from app.sittings import scheduling
from app.sittings.status import SittingStatus
from tests.conftest import make_settings, postgres_database
from tests.factories import PASSWORD
from tests.sittings.conftest import load_units

N = 12


@pytest.fixture
def fresh(backend: str, tmp_path: Path) -> Iterator[Engine]:
    if backend == "sqlite":
        yield from _migrated(f"sqlite:///{tmp_path / 'fresh.db'}")
        return
    with postgres_database("fresh") as url:
        yield from _migrated(url)


def _migrated(url: str) -> Iterator[Engine]:
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def live(fresh: Engine, tmp_path: Path) -> tuple[FastAPI, dict[str, str], str]:
    """An app on the fresh database, a session of N candidates started, and its access code."""
    clock = MovableClock()
    now = clock.now()
    for db in unit_of_work(make_sessionmaker(fresh), write=True):
        load_units(db, clock, tmp_path, "F-503-0358.yaml")
        _, token = tokens.create_token(db, "ab", [tokens.ADMIN], now)
        centres.create_centre(db, "C1", "Leeds", now)
        centres.create_invigilator(db, "C1", "ann", PASSWORD, now)
        for n in range(N):
            candidates.create_candidate(
                db, now, candidate_number=f"K{n:03d}", centre="C1", first_name="K", last_name=str(n)
            )
        sitting = scheduling.schedule(
            db,
            now,
            centre="C1",
            unit="F/503/0358",
            scheduled_start=now,
            candidate_numbers=[f"K{n:03d}" for n in range(N)],
            duration_minutes=None,
        )
        sitting.status = SittingStatus.OPEN
        db.flush()
        codes = dict(scheduling.codes_of(db, sitting))
    app = create_app(
        make_settings(fresh.url.render_as_string(hide_password=False)), clock=clock, engine=fresh
    )
    return app, codes, token


def signed_in(app: FastAPI, number: str, codes: dict[str, str]) -> tuple[TestClient, str]:
    client = TestClient(app)
    response = client.post(
        "/api/v1/auth/candidate", json={"candidate_number": number, "access_code": codes[number]}
    )
    assert response.status_code == 200, response.text
    return client, str(response.json()["csrf_token"])


def test_concurrent_submits_of_one_attempt_make_one_result(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    app, code, _ = live
    clients = [signed_in(app, "K000", code) for _ in range(8)]
    barrier = threading.Barrier(len(clients))

    def submit(pair: tuple[TestClient, str]) -> int:
        client, csrf = pair
        barrier.wait()
        return client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf}).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = list(pool.map(submit, clients))
    assert codes == [200] * len(clients)
    with fresh.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Result)) == 1


def test_a_puller_misses_and_repeats_nothing_while_results_are_written(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    app, code, token = live
    sitters = [signed_in(app, f"K{n:03d}", code) for n in range(N)]
    done = threading.Event()
    pulled: list[int] = []

    def pull() -> None:
        client = TestClient(app)
        cursor = None
        while True:
            finished = done.is_set()
            params = {"limit": 3, **({"after": cursor} if cursor else {})}
            page = client.get(
                "/api/v1/results", params=params, headers={"Authorization": f"Bearer {token}"}
            )
            assert page.status_code == 200
            body = page.json()
            pulled.extend(r["attempt_id"] for r in body["results"])
            cursor = body["next_cursor"]
            if finished and not body["results"]:
                return

    def submit(pair: tuple[TestClient, str]) -> int:
        client, csrf = pair
        return client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf}).status_code

    puller = threading.Thread(target=pull)
    puller.start()
    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(submit, sitters)) == {200}
    done.set()
    puller.join(timeout=60)
    assert not puller.is_alive()
    with fresh.connect() as conn:
        recorded = list(conn.scalars(select(Result.attempt_id)))
    assert len(pulled) == len(set(pulled)) == N
    assert sorted(pulled) == sorted(recorded)


def test_invigilator_actions_racing_submissions_leave_every_attempt_consistent(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """A pause racing a candidate's submit, and a close racing the rest: whichever wins, a
    submitted attempt stays submitted with one result, and the session closes."""
    app, code, _ = live
    staff = TestClient(app)
    login = {"centre": "C1", "username": "ann", "password": PASSWORD}
    csrf = staff.post("/api/v1/auth/invigilator", json=login).json()["csrf_token"]
    header = {"X-CSRF-Token": csrf}
    sitters = [signed_in(app, f"K{n:03d}", code) for n in range(N)]

    def race(n: int) -> tuple[int, int]:
        client, token = sitters[n]
        barrier = threading.Barrier(2)

        def submit() -> int:
            barrier.wait()
            return client.post(
                "/api/v1/attempt/submit", headers={"X-CSRF-Token": token}
            ).status_code

        def pause() -> int:
            barrier.wait()
            url = f"/api/v1/sessions/1/candidates/K{n:03d}/pause"
            return staff.post(url, headers=header).status_code

        with ThreadPoolExecutor(2) as pool:
            submitted, paused = pool.submit(submit), pool.submit(pause)
            return submitted.result(), paused.result()

    for n in range(N // 2):
        submitted, paused = race(n)
        assert (submitted, paused) in ((200, 409), (409, 200)), (n, submitted, paused)
        status = sitters[n][0].get("/api/v1/attempt").json()["status"]
        assert status == ("submitted" if submitted == 200 else "paused")

    def submit_rest(n: int) -> int:
        client, token = sitters[n]
        return client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": token}).status_code

    with ThreadPoolExecutor(4) as pool:
        rest = [pool.submit(submit_rest, n) for n in range(N // 2, N)]
        closed = staff.post("/api/v1/sessions/1/close", headers=header)
        assert closed.status_code == 200, closed.text
        assert {f.result() for f in rest} <= {200}
    with fresh.connect() as conn:
        results = list(conn.scalars(select(Result.attempt_id)))
    assert len(results) == len(set(results)) == N


def test_the_sweeper_stores_what_it_submits(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """Nothing touches the attempts again: the background sweep alone must commit them."""
    from app.sittings import sweeper
    from app.sittings.models import Attempt

    app, code, _ = live
    for n in range(3):
        signed_in(app, f"K{n:03d}", code)
    app.state.clock.advance(hours=3)
    assert sweeper.sweep_once(app) == 3
    assert sweeper.sweep_once(app) == 0
    with fresh.connect() as conn:
        statuses = conn.execute(select(Attempt.status, Attempt.submitted_by)).all()
        assert sorted(statuses)[-3:] == [("submitted", "timeout")] * 3
        assert conn.scalar(select(func.count()).select_from(Result)) == 3


def test_the_sweeper_racing_late_submissions_does_not_deadlock(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """Time is up: the sweeper, two results pulls (which sweep too) and every candidate's own
    late submit all finalise at once; each attempt ends with one result and nobody gets a 503."""
    from app.sittings import sweeper

    app, code, token = live
    sitters = [signed_in(app, f"K{n:03d}", code) for n in range(N)]
    app.state.clock.advance(hours=3)
    barrier = threading.Barrier(N + 3)

    def submit(n: int) -> int:
        client, csrf = sitters[n]
        barrier.wait()
        return client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf}).status_code

    def pull() -> int:
        barrier.wait()
        bearer = {"Authorization": f"Bearer {token}"}
        return TestClient(app).get("/api/v1/results", headers=bearer).status_code

    def sweep() -> int:
        barrier.wait()
        sweeper.sweep_once(app)
        return 200

    with ThreadPoolExecutor(N + 3) as pool:
        jobs = [pool.submit(submit, n) for n in range(N)]
        jobs += [pool.submit(pull), pool.submit(pull), pool.submit(sweep)]
        statuses = [job.result() for job in jobs]
    assert set(statuses) == {200}, statuses
    with fresh.connect() as conn:
        results = list(conn.scalars(select(Result.attempt_id)))
    assert len(results) == len(set(results)) == N


def test_the_attempt_lock_reads_the_row_as_it_is_now(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """A rule decided under the lock must see changes committed since this session first read
    the attempt. PostgreSQL only: on SQLite every request holds the write lock from BEGIN."""
    from app.sittings import repository
    from app.sittings.models import Attempt

    if fresh.dialect.name == "sqlite":
        pytest.skip("SQLite: write transactions are serial (BEGIN IMMEDIATE)")
    maker = make_sessionmaker(fresh)
    with maker() as first:
        attempt = first.scalars(select(Attempt).order_by(Attempt.id)).first()
        assert attempt is not None and attempt.admission == 0
        with maker() as second:
            second.execute(update(Attempt).where(Attempt.id == attempt.id).values(admission=7))
            second.commit()
        locked = repository.lock_attempt(first, attempt.id)
        assert locked is attempt and locked.admission == 7


def _sitting_line(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> tuple[Any, int, Any, list[str]]:
    from app.sittings.models import Attempt, PaperItem

    app, code, _ = live
    signed_in(app, "K000", code)
    maker = make_sessionmaker(fresh)
    with maker() as db:
        attempt = db.scalars(select(Attempt).where(Attempt.status == "in_progress")).one()
        line = db.scalars(
            select(PaperItem).where(PaperItem.attempt_id == attempt.id, PaperItem.position == 1)
        ).one()
        return maker, attempt.id, attempt.last_seen_at, list(line.option_order)


def test_an_autosave_and_a_flag_on_one_question_do_not_deadlock(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests also write the attempt's last-seen time: every path must lock the attempt
    before the paper line (PostgreSQL; on SQLite writers are serial)."""
    from app.sittings import lifecycle, repository, service

    if fresh.dialect.name == "sqlite":
        pytest.skip("SQLite: write transactions are serial (BEGIN IMMEDIATE)")
    maker, attempt_id, seen_at, options = _sitting_line(live, fresh)
    now = seen_at + timedelta(seconds=20)  # both requests are due to write last_seen_at
    line_locked, flag_started = threading.Event(), threading.Event()
    real_save = repository.save_answer

    def slow_save(*args: Any) -> bool:
        applied = real_save(*args)  # the line is locked from here to the commit
        line_locked.set()
        flag_started.wait(5)
        time.sleep(0.5)  # let the flag reach its own locks first
        return applied

    monkeypatch.setattr(repository, "save_answer", slow_save)
    errors: list[BaseException] = []

    def autosave() -> None:
        with maker() as db:
            db.execute(text("SET lock_timeout = '5s'"))
            attempt = repository.attempt(db, attempt_id)
            assert attempt is not None
            service.seen(db, attempt, now)
            try:
                lifecycle.save(
                    db, lifecycle.relock(db, attempt), now, position=1, option_id=options[0], seq=1
                )
                db.commit()
            except BaseException as exc:
                errors.append(exc)
                line_locked.set()

    def flag() -> None:
        with maker() as db:
            db.execute(text("SET lock_timeout = '5s'"))
            attempt = repository.attempt(db, attempt_id)
            assert attempt is not None
            service.seen(db, attempt, now)
            line_locked.wait(5)
            flag_started.set()
            try:
                lifecycle.flag(db, lifecycle.relock(db, attempt), now, position=1, flagged=True)
                db.commit()
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=autosave), threading.Thread(target=flag)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []


def test_a_replay_reports_when_the_answer_was_really_saved(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """A retry of a save still in flight waits for it, then reports the stored time."""
    from app.sittings import lifecycle, repository

    if fresh.dialect.name == "sqlite":
        pytest.skip("SQLite: write transactions are serial (BEGIN IMMEDIATE)")
    maker, attempt_id, seen_at, options = _sitting_line(live, fresh)
    first_at, retry_at = seen_at + timedelta(seconds=1), seen_at + timedelta(seconds=3)
    reported: list[Any] = []
    with maker() as first:
        attempt = repository.attempt(first, attempt_id)
        assert attempt is not None
        locked = lifecycle.relock(first, attempt)
        saved = lifecycle.save(first, locked, first_at, position=1, option_id=options[0], seq=5)
        assert saved == first_at

        def retry() -> None:
            with maker() as db:
                again = repository.attempt(db, attempt_id)
                assert again is not None
                locked = lifecycle.relock(db, again)
                at = retry_at
                reported.append(
                    lifecycle.save(db, locked, at, position=1, option_id=options[0], seq=5)
                )
                db.commit()

        thread = threading.Thread(target=retry)
        thread.start()
        time.sleep(1)
        assert thread.is_alive()  # waiting on the attempt's row lock
        first.commit()
        thread.join(10)
    assert reported == [first_at]


def test_results_voided_before_the_corrections_feed_are_backfilled(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """The migration that adds the feed turns results already voided into its first entries."""
    from alembic import command

    from app.marking.models import ResultCorrection
    from app.migrate import alembic_config

    app, code, token = live
    client, csrf = signed_in(app, "K000", code)
    assert client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf}).is_success
    staff = TestClient(app)
    login = {"centre": "C1", "username": "ann", "password": PASSWORD}
    header = {
        "X-CSRF-Token": staff.post("/api/v1/auth/invigilator", json=login).json()["csrf_token"]
    }
    void = {"reason": "Notes found in the toilets"}
    assert staff.post(
        "/api/v1/sessions/1/candidates/K000/void", json=void, headers=header
    ).is_success
    url = fresh.url.render_as_string(hide_password=False)
    # to the revision before the feed (by name: later revisions must not move the target)
    command.downgrade(alembic_config(url), "4e63e0ed9e94")
    upgrade(url)
    with fresh.connect() as conn:
        rows = conn.execute(select(ResultCorrection.seq, ResultCorrection.reason)).all()
    assert [tuple(r) for r in rows] == [(1, "Notes found in the toilets")]
    feed = TestClient(app).get(
        "/api/v1/results/corrections", headers={"Authorization": f"Bearer {token}"}
    )
    assert [c["reason"] for c in feed.json()["corrections"]] == ["Notes found in the toilets"]


def test_a_page_change_committed_after_a_later_numbered_one_is_still_sent(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """Why PostgreSQL's room feed compares each open page's number (attempts.page_seq) instead
    of reading past a cursor, as SQLite's does: on two real connections, the first transaction
    takes its number, the second takes the next and commits first. A reader past the second's
    number has not seen the first's, and never would; the feed that compares sends both."""
    from app.db import transaction
    from app.sittings import events, repository
    from app.sittings.models import Attempt

    if fresh.dialect.name != "postgresql":
        pytest.skip("SQLite's writers number their changes one after another, in commit order")
    app, codes, _ = live
    for number in ("K000", "K001"):
        signed_in(app, number, codes)
    factory = app.state.sessionmaker
    hub = events.RoomEvents(app)
    hub.resync_every, hub.polls = 10**9, 1000  # no page's resync turn in this test
    with transaction(factory, write=False) as db:
        attempts = list(db.scalars(select(Attempt).where(Attempt.device_hash.is_not(None))))
        for attempt in attempts:
            sub = events.Subscriber(attempt.id, attempt.device_hash, attempt.admission)
            hub.add(sub, repository.fingerprint(attempt))
        since = repository.last_page_seq(db)
    first_id, second_id = sorted(a.id for a in attempts)
    assert hub.poll() == {}

    def pause(attempt_id: int) -> Any:
        return update(Attempt).where(Attempt.id == attempt_id).values(status="paused")

    with fresh.connect() as first:
        first.execute(pause(first_id))  # numbered now, committed last
        with fresh.begin() as second:
            second.execute(pause(second_id))
        assert list(hub.poll()) == [second_id]
        with transaction(factory, write=False) as db:
            rows, cursor = repository.pages_changed_since(db, since)
        assert [row.id for row in rows] == [second_id]
        first.commit()
    with transaction(factory, write=False) as db:
        numbered = db.scalar(select(Attempt.page_seq).where(Attempt.id == first_id))
        assert numbered is not None and numbered < cursor
        assert repository.pages_changed_since(db, cursor)[0] == []  # a cursor misses it
    assert list(hub.poll()) == [first_id]  # the comparison does not

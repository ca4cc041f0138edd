"""Real concurrent requests on separate connections, real commits, on a database of their own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from app.auth import tokens
from app.candidates import service as candidates
from app.centres import service as centres
from app.clock import MovableClock
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.main import create_app
from app.marking.models import Result
from app.migrate import upgrade
from app.sittings import scheduling
from tests.conftest import POSTGRES_URL, make_settings, missing
from tests.factories import PASSWORD
from tests.sittings.conftest import load_units

N = 12


@pytest.fixture
def fresh(backend: str, tmp_path: Path) -> Iterator[Engine]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        if not POSTGRES_URL:
            missing("PostgreSQL", "set EXAMHALL_TEST_POSTGRES_URL")
        base = make_url(POSTGRES_URL)
        name = f"{base.database}_fresh"
        admin = make_engine(
            base.set(database="postgres").render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def live(fresh: Engine, tmp_path: Path) -> tuple[FastAPI, str, str]:
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
        sitting.status = "open"
        code = sitting.access_code
    app = create_app(
        make_settings(fresh.url.render_as_string(hide_password=False)), clock=clock, engine=fresh
    )
    return app, code, token


def signed_in(app: FastAPI, number: str, code: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    response = client.post(
        "/api/v1/auth/candidate", json={"candidate_number": number, "access_code": code}
    )
    assert response.status_code == 200, response.text
    return client, str(response.json()["csrf_token"])


def test_concurrent_submits_of_one_attempt_make_one_result(
    live: tuple[FastAPI, str, str], fresh: Engine
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
    live: tuple[FastAPI, str, str], fresh: Engine
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

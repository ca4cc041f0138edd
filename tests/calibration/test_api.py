"""The calibration API: admin only, every bad input a 4xx that changes nothing, the run made
on the calibration worker (inline here, so that the test can see its outcome at once)."""

from __future__ import annotations

from concurrent.futures import Executor, Future
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.calibration.jobs import Worker
from app.clock import MovableClock
from tests.calibration.conftest import Bank, record, simulate
from tests.factories import admin_token, bearer

URL = "/api/v1/units/A-100-0001/calibration"


class Inline(Executor):
    """Runs each task at once, on the caller's thread."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


class Never(Executor):
    """Accepts tasks and never runs them: a calibration that stays running."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        return Future()


def use(app: FastAPI, executor: Executor) -> None:
    app.state.calibration = Worker(app.state.sessionmaker, app.state.clock, executor)


def sit(db: Session, bank: Bank, clock: MovableClock, persons: int = 300, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    b = np.random.default_rng(42).normal(0, 1, 60)
    record(
        db,
        bank,
        simulate(rng, bank, b, rng.normal(0, 1, persons), 20, list(range(40))),
        clock.now(),
    )


def test_only_an_admin_may_calibrate(client: TestClient, bank: Bank) -> None:
    assert client.get(URL).status_code == 401
    assert client.post(URL).status_code == 401
    assert client.get("/api/v1/units/A-100-0001/item-health").status_code == 401


def test_bad_requests_are_refused_and_change_nothing(
    app: FastAPI, client: TestClient, db: Session, bank: Bank, clock: MovableClock
) -> None:
    use(app, Inline())
    h = bearer(admin_token(db, clock.now()))
    assert client.get("/api/v1/units/Z-999-9999/calibration", headers=h).status_code == 404
    assert client.post("/api/v1/units/nonsense/calibration", headers=h).status_code == 404
    bad = [
        {"from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z"},
        {"from": "yesterday"},
        {"from": "2026-06-02T00:00:00"},  # no zone
        {"window": 1},
    ]
    for body in bad:
        response = client.post(URL, json=body, headers=h)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    got = client.get(URL, headers=h).json()
    assert got["run"] is None and got["job"] is None
    health = client.get("/api/v1/units/A-100-0001/item-health", headers=h)
    assert health.status_code == 409  # nothing calibrated to compare with
    for params in ({"min_n": 0}, {"from": "soon"}):
        r = client.get("/api/v1/units/A-100-0001/item-health", params=params, headers=h)
        assert r.status_code == 422


def test_a_window_without_results_fails_with_a_reason(
    app: FastAPI, client: TestClient, db: Session, bank: Bank, clock: MovableClock
) -> None:
    use(app, Inline())
    h = bearer(admin_token(db, clock.now()))
    assert client.post(URL, headers=h).status_code == 202
    job = client.get(URL, headers=h).json()["job"]
    assert job["state"] == "failed" and "No results" in job["detail"]


def test_a_calibration_runs_and_is_read_back(
    app: FastAPI, client: TestClient, db: Session, bank: Bank, clock: MovableClock
) -> None:
    use(app, Inline())
    h = bearer(admin_token(db, clock.now()))
    sit(db, bank, clock)
    clock.advance(hours=2)
    response = client.post(URL, json={}, headers=h)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == URL
    assert response.json()["state"] == "done"
    got = client.get(URL, headers=h).json()
    run = got["run"]
    assert got["job"]["run_id"] == run["id"]
    assert run["n_candidates"] == 300 and run["anchor_run_id"] is None
    assert len(run["items"]) == 40
    item = run["items"][0]
    assert item["item_id"].startswith("A1000001-") and item["se"] > 0 and item["n"] > 0
    assert abs(sum(i["b"] for i in run["items"])) < 1e-6
    for key in ("reliability", "sem_cut", "sem_cut_raw", "in_doubt", "theta_cut"):
        assert run[key] is not None

    # results since then, watched live
    clock.advance(days=1)
    sit(db, bank, clock, persons=120, seed=2)
    clock.advance(minutes=10)
    health = client.get("/api/v1/units/A-100-0001/item-health", headers=h)
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["candidates"] == 120 and body["run_id"] == run["id"]
    assert {i["item_id"] for i in body["items"]} <= {i["item_id"] for i in run["items"]}


def test_a_second_calibration_while_one_runs_is_a_conflict(
    app: FastAPI, client: TestClient, db: Session, bank: Bank, clock: MovableClock
) -> None:
    use(app, Never())
    h = bearer(admin_token(db, clock.now()))
    assert client.post(URL, headers=h).status_code == 202
    assert client.post(URL, headers=h).status_code == 409
    assert client.get(URL, headers=h).json()["job"]["state"] == "running"

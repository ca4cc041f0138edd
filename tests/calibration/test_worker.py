"""The calibration worker on a real thread with its own sessions and a database of its own:
a run is made off the caller's thread and committed; a failure is recorded, not raised, and
the worker goes on to the next."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.calibration import jobs, service
from app.clock import MovableClock
from app.db import make_engine, make_sessionmaker, transaction
from app.migrate import upgrade
from tests.calibration.conftest import make_bank, record, simulate


def test_a_calibration_runs_on_the_worker_thread_and_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    clock = MovableClock()
    rng = np.random.default_rng(6)
    with transaction(factory) as db:
        bank = make_bank(db, clock.now(), tmp_path)
        b = rng.normal(0, 1, 60)
        record(
            db,
            bank,
            simulate(rng, bank, b, rng.normal(0, 1, 200), 20, list(range(30))),
            clock.now(),
        )
    clock.advance(hours=1)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    threads: list[str] = []
    real = service.calibrate_unit

    def spy(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    worker = jobs.Worker(factory, clock)
    monkeypatch.setattr(service, "calibrate_unit", broken)
    failed = settled(worker.start(bank.unit_id, None, None))
    assert failed.state == "failed" and "service log" in (failed.detail or "")

    monkeypatch.setattr(service, "calibrate_unit", spy)
    job = settled(worker.start(bank.unit_id, None, None))
    assert job.state == "done", job.detail
    assert threads[0].startswith("calibration")
    assert threads[0] != threading.current_thread().name
    with transaction(factory, write=False) as db:
        assert len(service.difficulties(db, bank.unit_id)) == 30
    worker.shutdown()
    engine.dispose()


def settled(job: jobs.Job) -> jobs.Job:
    deadline = time.monotonic() + 60
    while job.state == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    return job

"""The calibration worker: one thread per process, off the request path.

A calibration or a health check is CPU work of up to seconds. It runs on this worker's single
thread with a session of its own, so that no candidate's request waits for it: at most one
such computation runs at a time in a process, it holds one database connection (the pool's
spare), and a request for a second calibration of a unit already being calibrated is refused
(409). The worker is created with the app (app.state.calibration)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from app.calibration import service
from app.clock import Clock
from app.db import transaction
from app.errors import AppError, Conflict

log = logging.getLogger("examhall.calibration")
T = TypeVar("T")


@dataclass
class Job:
    """A calibration asked for: running, then done (with its run) or failed (with why)."""

    unit_id: int
    state: str  # running | done | failed
    asked_at: datetime
    window_from: datetime | None
    window_to: datetime | None
    finished_at: datetime | None = None
    run_id: int | None = None
    detail: str | None = None


class Worker:
    def __init__(
        self, factory: sessionmaker[Session], clock: Clock, executor: Executor | None = None
    ) -> None:
        self.factory = factory
        self.clock = clock
        self.executor = executor or ThreadPoolExecutor(1, thread_name_prefix="calibration")
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()

    def start(self, unit_id: int, window_from: datetime | None, window_to: datetime | None) -> Job:
        """Queue a calibration of the unit; a second while one is queued or running is a 409."""
        with self._lock:
            current = self._jobs.get(unit_id)
            if current is not None and current.state == "running":
                raise Conflict("This unit is being calibrated already: wait for it to finish.")
            job = Job(unit_id, "running", self.clock.now(), window_from, window_to)
            self._jobs[unit_id] = job
        self.executor.submit(self._calibrate, job)
        return job

    def job(self, unit_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(unit_id)

    def _calibrate(self, job: Job) -> None:
        try:
            with transaction(self.factory) as db:
                run = service.calibrate_unit(
                    db, job.unit_id, self.clock.now(), job.window_from, job.window_to
                )
                run_id = run.id
        except AppError as exc:
            self._finish(job, "failed", detail=exc.detail)
        except Exception:  # the worker must outlive any one calibration
            log.exception("calibration of unit %s failed", job.unit_id)
            self._finish(job, "failed", detail="The calibration failed; see the service log.")
        else:
            self._finish(job, "done", run_id=run_id)

    def _finish(
        self, job: Job, state: str, run_id: int | None = None, detail: str | None = None
    ) -> None:
        with self._lock:
            job.state, job.run_id, job.detail = state, run_id, detail
            job.finished_at = self.clock.now()

    async def read(self, work: Callable[[Session], T]) -> T:
        """`work` on the worker's thread in a read-only transaction of its own, awaited."""
        future: Future[T] = self.executor.submit(self._read, work)
        return await asyncio.wrap_future(future)

    def _read(self, work: Callable[[Session], T]) -> T:
        with transaction(self.factory, write=False) as db:
            return work(db)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


_created = threading.Lock()


def worker_of(state: object) -> Worker:
    """The app's worker (`app.state.calibration`), made on first use from the app's own
    sessionmaker and clock; tests may set one first (with an inline executor)."""
    with _created:
        worker = getattr(state, "calibration", None)
        if worker is None:
            worker = Worker(state.sessionmaker, state.clock)  # type: ignore[attr-defined]
            state.calibration = worker  # type: ignore[attr-defined]
        return worker

"""The awarding body's calibration API: the unit's latest run, a new run, live item health."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from app.auth.deps import AdminToken
from app.calibration import measures, service
from app.calibration.jobs import Job, Worker, worker_of
from app.calibration.schemas import (
    CalibrateIn,
    CalibrationOut,
    HealthOut,
    ItemCalibrationOut,
    ItemHealthOut,
    JobOut,
    RunOut,
)
from app.deps import ClockDep, DbDep
from app.errors import Invalid
from app.paths import unit_urn
from app.qualifications import service as qualifications
from app.schemas import Instant

router = APIRouter(prefix="/api/v1/units", tags=["awarding body"])


async def get_worker(request: Request) -> Worker:
    return worker_of(request.app.state)


WorkerDep = Annotated[Worker, Depends(get_worker)]


def job_out(job: Job) -> JobOut:
    return JobOut(
        state=job.state,
        asked_at=job.asked_at,
        finished_at=job.finished_at,
        window_from=job.window_from,
        window_to=job.window_to,
        run_id=job.run_id,
        detail=job.detail,
    )


def calibration_out(db: Session, urn: str, unit_id: int, job: Job | None) -> CalibrationOut:
    found = service.latest(db, unit_id)
    if found is None:
        return CalibrationOut(unit=urn, run=None, job=job_out(job) if job else None)
    run, rows = found
    names = service.labels(db, [d.item_version_id for d in rows])
    status = service.statuses(db, [d.item_version_id for d in rows])
    return CalibrationOut(
        unit=urn,
        job=job_out(job) if job else None,
        run=RunOut(
            id=run.id,
            created_at=run.created_at,
            window_from=run.window_from,
            window_to=run.window_to,
            anchor_run_id=run.anchor_run_id,
            method=run.method,
            n_candidates=run.n_candidates,
            n_responses=run.n_responses,
            n_items=run.n_items,
            link_shift=run.link_shift,
            anchored_items=run.anchored_items,
            person_mean=run.person_mean,
            person_sd=run.person_sd,
            iterations=run.iterations,
            converged=run.converged,
            **service.summary(run),
            items=[
                ItemCalibrationOut(
                    item_id=names[d.item_version_id][0],
                    version=names[d.item_version_id][1],
                    item_version_id=d.item_version_id,
                    b=d.b,
                    se=d.se,
                    n=d.n,
                    n_window=d.n_window,
                    n_correct=d.n_correct,
                    anchored=d.anchored,
                    carried=d.carried,
                    drift=d.drift,
                    b_previous=d.b_previous,
                    b_free=d.b_free,
                    extreme=d.extreme,
                    infit=d.infit,
                    outfit=d.outfit,
                    status=status.get(d.item_version_id),
                )
                for d in rows
            ],
        ),
    )


@router.get("/{unit}/calibration", response_model=CalibrationOut)
def get_calibration(unit: str, db: DbDep, _: AdminToken, request: Request) -> CalibrationOut:
    """The unit's latest Rasch calibration (difficulties, SEs, n, drift and fit per item
    version; reliability and the pass mark's precision), and the last calibration asked for."""
    u = qualifications.get_unit(db, unit_urn(unit))
    return calibration_out(db, u.urn, u.id, worker_of(request.app.state).job(u.id))


@router.post("/{unit}/calibration", response_model=JobOut, status_code=202)
def calibrate(
    unit: str,
    db: DbDep,
    _: AdminToken,
    worker: WorkerDep,
    response: Response,
    body: CalibrateIn | None = None,
) -> JobOut:
    """Calibrate the unit from the results recorded in a window, on the calibration worker
    (never on a candidate's request): 202 at once; follow `Location` for the outcome."""
    u = qualifications.get_unit(db, unit_urn(unit))
    window = body or CalibrateIn()
    if window.window_from and window.window_to and window.window_from >= window.window_to:
        raise Invalid.field("to", "The window must end after it starts.")
    job = worker.start(u.id, window.window_from, window.window_to)
    response.headers["Location"] = f"/api/v1/units/{unit}/calibration"
    return job_out(job)


@router.get("/{unit}/item-health", response_model=HealthOut)
async def item_health(
    unit: str,
    clock: ClockDep,
    _: AdminToken,
    worker: WorkerDep,
    since: Instant | None = Query(
        default=None,
        alias="from",
        description="results recorded at or after (RFC 3339); default: the end of the latest "
        "calibration's window",
    ),
    min_n: int = Query(default=measures.HEALTH_MIN_N, ge=5, le=100_000),
) -> HealthOut:
    """Live item health: the latest calibration's items as the results since `from` show
    them; an item whose facility departs from what its b predicts (z) or whose fit does
    (infit) is flagged, once it has `min_n` responses. Computed on the calibration worker."""
    urn = unit_urn(unit)
    now = clock.now()
    return await worker.read(lambda db: _health(db, urn, since, now, min_n))


def _health(db: Session, urn: str, since: datetime | None, now: datetime, min_n: int) -> HealthOut:
    u = qualifications.get_unit(db, urn)
    found = service.latest(db, u.id)
    start = since if since is not None else (found[0].window_to if found else now)
    health = service.item_health(db, u.id, start, now, min_n)
    names = service.labels(db, [h.item_version_id for h in health.items])
    return HealthOut(
        unit=u.urn,
        run_id=health.run_id,
        window_from=health.since,
        window_to=health.until,
        candidates=health.candidates,
        min_n=health.min_n,
        critical_z=health.critical_z,
        uncalibrated_responses=health.uncalibrated,
        items=[
            ItemHealthOut(
                item_id=names[h.item_version_id][0],
                version=names[h.item_version_id][1],
                item_version_id=h.item_version_id,
                b=h.b,
                n=h.n,
                observed_facility=h.observed,
                expected_facility=h.expected,
                z=h.z,
                infit=h.infit,
                outfit=h.outfit,
                infit_z=h.infit_z,
                flags=h.flags,
            )
            for h in health.items
        ],
    )

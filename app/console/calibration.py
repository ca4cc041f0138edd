"""Calibration in the console: each unit's latest run, the items flagged by drift or by live
health, and the test information curve of a typical paper. Read-only; every figure is made on
the calibration worker (app/calibration/jobs.py), never on a request's thread."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.calibration import figures, service
from app.calibration.api import WorkerDep
from app.console.deps import ConsoleDep, base_context
from app.deps import ClockDep
from app.errors import AppError
from app.paths import unit_urn
from app.qualifications import service as qualifications
from app.web import render

router = APIRouter(prefix="/calibration")


@router.get("", response_class=HTMLResponse)
async def overview(request: Request, user: ConsoleDep, worker: WorkerDep) -> Response:
    user.require("results:view")
    units = await worker.read(_units)
    return render(
        request, "console/calibration.html", base_context(user, "calibration", units=units)
    )


def _units(db: Session) -> list[dict[str, Any]]:
    units = {
        m.unit.id: m.unit for q in qualifications.all_qualifications(db) for m in q.memberships
    }
    return [
        {"unit": unit, "run": service.latest_run(db, unit.id)}
        for unit in sorted(units.values(), key=lambda u: u.urn)
    ]


@router.get("/{unit}", response_class=HTMLResponse)
async def unit_page(
    unit: str, request: Request, user: ConsoleDep, clock: ClockDep, worker: WorkerDep
) -> Response:
    user.require("results:view")
    urn = unit_urn(unit)
    now = clock.now()
    context = await worker.read(lambda db: _unit_context(db, urn, now))
    context["job"] = worker.job(context["unit"].id)
    return render(
        request,
        "console/calibration_unit.html",
        base_context(user, "calibration", **context),
        headers={"Cache-Control": "no-store"},
    )


def _unit_context(db: Session, urn: str, now: datetime) -> dict[str, Any]:
    unit = qualifications.get_unit(db, urn)
    found = service.latest(db, unit.id)
    context: dict[str, Any] = {"unit": unit, "run": None, "health": None, "health_error": None}
    if found is None:
        return context
    run, rows = found
    names = service.labels(db, [d.item_version_id for d in rows])
    paper_items = unit.test_spec.items if unit.test_spec else 0
    curve = figures.information_curve(service.information(rows, paper_items), run.theta_cut)
    try:
        health = service.item_health(db, unit.id, run.window_to, now)
    except AppError as exc:
        health, context["health_error"] = None, exc.detail
    context.update(
        run=run,
        rows=rows,
        names=names,
        drifted=[d for d in rows if d.drift],
        health=health,
        flagged=[h for h in health.items if h.flags] if health else [],
        curve=curve,
        paper_items=paper_items,
    )
    return context

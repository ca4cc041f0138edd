"""Calibration in the console: each unit's latest run, the items flagged by drift or by live
health, and the test information curve of a typical paper; an administrator may ask for a new
run. Every figure is made on the calibration worker (app/calibration/jobs.py), never on a
request's thread."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.calibration import views
from app.calibration.api import WorkerDep
from app.console.deps import ConsoleDep, Renewing, base_context, see
from app.console.forms import posted
from app.deps import ClockDep, DbDep
from app.paths import unit_urn
from app.qualifications import service as qualifications
from app.web import render

router = APIRouter(prefix="/calibration", route_class=Renewing)


@router.get("", response_class=HTMLResponse)
async def overview(request: Request, user: ConsoleDep, worker: WorkerDep) -> Response:
    user.require("results:view")
    units = await worker.read(views.overview)
    return render(
        request, "console/calibration.html", base_context(user, "calibration", units=units)
    )


@router.get("/{unit}", response_class=HTMLResponse)
async def unit_page(
    unit: str, request: Request, user: ConsoleDep, clock: ClockDep, worker: WorkerDep
) -> Response:
    user.require("results:view")
    urn = unit_urn(unit)
    now = clock.now()
    context = await worker.read(lambda db: views.unit(db, urn, now))
    context["job"] = worker.job(context["unit"].id)
    return render(
        request,
        "console/calibration_unit.html",
        base_context(user, "calibration", **context),
        headers={"Cache-Control": "no-store"},
    )


@router.post("/{unit}", response_class=HTMLResponse)
async def calibrate(
    unit: str, request: Request, user: ConsoleDep, db: DbDep, worker: WorkerDep
) -> Response:
    """Calibrate the unit from every result recorded so far, on the calibration worker (the
    API's POST /api/v1/units/{unit}/calibration takes a window); back to its page, which
    says how the run went."""
    user.require("standards:manage")
    await posted(request, user)
    worker.start(qualifications.get_unit(db, unit_urn(unit)).id, None, None)
    return see(f"/console/calibration/{unit}")

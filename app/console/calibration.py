"""Calibration in the console: each unit's latest run, the items flagged by drift or by live
health, and the test information curve of a typical paper. Read-only; every figure is made on
the calibration worker (app/calibration/jobs.py), never on a request's thread."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.calibration import views
from app.calibration.api import WorkerDep
from app.console.deps import ConsoleDep, base_context
from app.deps import ClockDep
from app.paths import unit_urn
from app.web import render

router = APIRouter(prefix="/calibration")


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

"""Centres and their invigilators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.centres import service as centres
from app.centres.schemas import CentreIn, InvigilatorIn
from app.console.deps import ConsoleDep, ConsoleUser, Renewing, base_context, see
from app.console.forms import posted
from app.console.problems import form_errors
from app.deps import ClockDep, DbDep
from app.errors import AppError
from app.web import render

router = APIRouter(prefix="/centres", route_class=Renewing)


def _list(request: Request, db: Any, user: ConsoleUser, **extra: Any) -> Response:
    context = base_context(
        user,
        "centres",
        centres=centres.all_centres(db),
        errors={},
        values={},
        message=request.query_params.get("done") and "Centre added.",
    )
    status = int(extra.pop("status_code", 200))
    context.update(extra)
    return render(request, "console/centres.html", context, status_code=status)


@router.get("", response_class=HTMLResponse)
def list_centres(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("centres:view")
    return _list(request, db, user)


@router.post("", response_class=HTMLResponse)
async def add_centre(request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep) -> Response:
    user.require("centres:edit")
    values, _ = await posted(request, user)
    try:
        with db.begin_nested():
            body = form_errors(
                CentreIn, {"code": values.get("code", ""), "name": values.get("name", "")}
            )
            centres.create_centre(db, body.code, body.name, clock.now())
    except AppError as exc:
        return _list(
            request, db, user, errors=_by_field(exc, "code"), values=values, status_code=exc.status
        )
    return see("/console/centres?done=1")


def _by_field(exc: AppError, default: str) -> dict[str, str]:
    fields = exc.extra.get("errors") or [{"field": default, "message": exc.detail}]
    return {str(f["field"]): str(f["message"]) for f in fields}


def _centre_page(request: Request, db: Any, user: ConsoleUser, code: str, **extra: Any) -> Response:
    centre = centres.get_centre(db, code)
    context = base_context(
        user,
        "centres",
        centre=centre,
        invigilators=centres.invigilators_of(db, centre),
        errors={},
        values={},
        message=request.query_params.get("done") and "Invigilator account created.",
    )
    status = int(extra.pop("status_code", 200))
    context.update(extra)
    return render(request, "console/centre.html", context, status_code=status)


@router.get("/{code}", response_class=HTMLResponse)
def centre_page(code: str, request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("centres:view")
    return _centre_page(request, db, user, code)


@router.post("/{code}", response_class=HTMLResponse)
async def add_invigilator(
    code: str, request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep
) -> Response:
    user.require("centres:edit")
    values, _ = await posted(request, user)
    try:
        with db.begin_nested():
            body = form_errors(
                InvigilatorIn,
                {"username": values.get("username", ""), "password": values.get("password", "")},
            )
            centres.create_invigilator(db, code, body.username, body.password, clock.now())
    except AppError as exc:
        kept = {"username": values.get("username", "")}
        return _centre_page(
            request,
            db,
            user,
            code,
            errors=_by_field(exc, "username"),
            values=kept,
            status_code=exc.status,
        )
    return see(f"/console/centres/{centres.get_centre(db, code).code}?done=1")

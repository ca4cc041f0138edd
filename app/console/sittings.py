"""Sittings: the list with status and counts, scheduling, and one sitting's register and journal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.candidates import service as candidates
from app.centres import service as centres
from app.console.deps import ConsoleDep, ConsoleUser, Renewing, base_context, see
from app.console.forms import day_range, moment, posted, whole
from app.deps import ClockDep, DbDep, SettingsDep
from app.errors import AppError, Invalid
from app.invigilation import service as invigilation
from app.journal import audit, seals
from app.journal import service as journal
from app.paths import SessionId
from app.qualifications import service as qualifications
from app.sittings import listing, scheduling
from app.web import render

# How far in the past the console takes a sitting's start: today's sitting entered late, yes;
# one days ago, no (the API takes any start from 2000 on: its clients schedule as they will).
PAST_START = timedelta(hours=12)

router = APIRouter(prefix="/sittings", route_class=Renewing)


@router.get("", response_class=HTMLResponse)
def list_sittings(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("sittings:view")
    q = request.query_params
    filters = {k: q.get(k, "")[:20].strip() for k in ("centre", "unit", "status", "from", "to")}
    error, rows = None, []
    try:
        start_from, start_to = day_range(filters["from"], filters["to"])
        rows = listing.find(
            db,
            centre=filters["centre"] or None,
            unit=filters["unit"] or None,
            status=filters["status"] or None,
            start_from=start_from,
            start_to=start_to,
        )
    except AppError as exc:
        error = exc.detail
    context = base_context(
        user,
        "sittings",
        rows=rows,
        filters=filters,
        error=error,
        centres=[c for c, _ in centres.all_centres(db)],
        units=qualifications.examinable_units(db),
        statuses=listing.STATUSES,
    )
    return render(request, "console/sittings.html", context, status_code=422 if error else 200)


def _new_page(
    request: Request, db: Any, user: ConsoleUser, values: dict[str, Any], **extra: Any
) -> Response:
    centre_code = str(values.get("centre", ""))
    centre = centres.find_centre(db, centre_code) if centre_code else None
    context = base_context(
        user,
        "sittings",
        centres=[c for c, _ in centres.all_centres(db)],
        units=qualifications.examinable_units(db),
        centre=centre,
        people=candidates.at_centre(db, centre.code) if centre else [],
        values=values,
        chosen=set(values.get("candidates", [])),
        error=None,
    )
    context.update(extra)
    status = 422 if context["error"] else 200
    return render(request, "console/schedule.html", context, status_code=status)


@router.get("/new", response_class=HTMLResponse)
def new_sitting(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("sittings:schedule")
    return _new_page(request, db, user, {"centre": request.query_params.get("centre", "")[:20]})


@router.post("/new", response_class=HTMLResponse)
async def schedule(request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep) -> Response:
    user.require("sittings:schedule")
    values, form = await posted(request, user)
    chosen = [str(n) for n in form.getlist("candidates")]
    kept: dict[str, Any] = {**values, "candidates": chosen}
    try:
        with db.begin_nested():
            if not chosen:
                raise Invalid.field("candidates", "Choose at least one candidate.")
            if not values.get("unit"):
                raise Invalid.field("unit", "Choose the unit.")
            start = moment(values.get("scheduled_start", ""), "scheduled_start")
            if start < clock.now() - PAST_START:
                # A sitting is scheduled before it is sat: a start days ago is a slip of the
                # year or month (a new user's trial scheduled one for 2020 unwarned).
                raise Invalid.field(
                    "scheduled_start",
                    f"That start is in the past ({start:%d %b %Y %H:%M} UTC): give the day and"
                    " time the sitting will start.",
                )
            # Building every paper takes a while for a big room: off the event loop.
            sitting = await run_in_threadpool(
                scheduling.schedule,
                db,
                clock.now(),
                centre=values.get("centre", ""),
                unit=values.get("unit", ""),
                scheduled_start=start,
                candidate_numbers=chosen,
                approve_admission=values.get("approve_admission") == "yes",
                duration_minutes=whole(
                    values.get("duration_minutes", ""), "duration_minutes", 1, 600, 0
                )
                or None,
                actor=user.actor(),
            )
    except AppError as exc:
        return _new_page(request, db, user, kept, error=exc.detail)
    return see(f"/console/sittings/{sitting.id}?done=scheduled")


@router.get("/{session_id}", response_class=HTMLResponse)
def sitting_page(
    session_id: SessionId,
    request: Request,
    user: ConsoleDep,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    user.require("sittings:view")
    register = invigilation.register_for_awarding_body(db, session_id, clock.now())
    # Everything the journal proves, as the API's journal route checks it: chains, seals, and
    # every answer and result following from them.
    checked, breaches = audit.verify(db, seals.key_of(settings), session_id)
    context = base_context(
        user,
        "sittings",
        register=register,
        incidents=invigilation.incidents_of(db, register.sitting),
        entries=journal.entries(db, session_id),
        checked=checked,
        breaches=breaches,
        message=request.query_params.get("done") == "scheduled"
        and "Sitting scheduled: every candidate's paper is built.",
    )
    return render(request, "console/sitting.html", context)


@router.get("/{session_id}/slips", response_class=HTMLResponse)
def slips(
    session_id: SessionId, request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep
) -> Response:
    """One slip per candidate with their own access code, to print and hand out in the room:
    for the roles that schedule (a code lets its candidate into the exam)."""
    user.require("sittings:schedule")
    register = invigilation.register_for_awarding_body(db, session_id, clock.now())
    context = base_context(user, "sittings", register=register, printed_at=clock.now())
    return render(request, "console/slips.html", context)

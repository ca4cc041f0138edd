"""The invigilator's pages: sign-in, the centre's sessions, the live register and its actions,
and a printable register and incident report (HTML and CSV)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import cookies
from app.auth import service as auth
from app.auth.deps import StaffUser
from app.centres import service as centres
from app.deps import AddressDep, ClockDep, DbDep, SettingsDep
from app.errors import AppError, Invalid
from app.invigilation import reports, service
from app.invigilation.service import CATEGORIES
from app.paths import SessionId
from app.web import Redirect
from app.web import render

router = APIRouter(prefix="/invigilate", include_in_schema=False)

CATEGORY_LABELS = {
    "illness": "Illness",
    "disturbance": "Disturbance",
    "technical": "Technical problem",
    "suspected_malpractice": "Suspected malpractice",
    "fire_alarm": "Fire alarm or evacuation",
    "other": "Other",
}
STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "Sitting",
    "paused": "Paused",
    "submitted": "Submitted",
    "voided": "Voided",
}


def _staff(request: Request, db: Any, settings: Any) -> tuple[StaffUser, str]:
    """The signed-in invigilator and their CSRF token; else to the sign-in page."""
    payload = cookies.read(request, settings, cookies.STAFF)
    if payload is None:
        raise Redirect("/invigilate")
    account = centres.get_invigilator(db, int(payload.get("sub", 0)))
    if account is None:
        raise Redirect("/invigilate")
    staff = StaffUser(account.id, account.centre_id, account.centre.code, account.username)
    return staff, str(payload.get("csrf", ""))


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("", response_class=HTMLResponse)
def sign_in_page(request: Request, settings: SettingsDep) -> Response:
    if cookies.read(request, settings, cookies.STAFF):
        return _see("/invigilate/sessions")
    return render(request, "invigilator/sign_in.html", {"error": None, "values": {}})


@router.post("", response_class=HTMLResponse)
async def sign_in(
    request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep, address: AddressDep
) -> Response:
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    values = {k: v for k, v in form.items() if k != "password"}
    try:
        account = auth.login_invigilator(
            db,
            settings,
            clock.now(),
            centre=form.get("centre", ""),
            username=form.get("username", ""),
            password=form.get("password", ""),
            address=address,
        )
    except AppError as exc:
        # Answered, not raised: the transaction commits, so the failure counts towards throttling.
        context = {"error": exc.detail, "values": values}
        return render(request, "invigilator/sign_in.html", context, status_code=exc.status)
    response = _see("/invigilate/sessions")
    cookies.issue(
        response, settings, cookies.STAFF, {"sub": account.id, "csrf": cookies.new_csrf_token()}
    )
    return response


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    _, csrf = _staff(request, db, settings)
    await cookies.signed_form(request, csrf)
    response = _see("/invigilate")
    cookies.clear(response, settings, cookies.STAFF)
    return response


@router.get("/sessions", response_class=HTMLResponse)
def sessions(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    staff, csrf = _staff(request, db, settings)
    rows = service.sittings_of(db, staff)
    return render(
        request, "invigilator/sessions.html", {"staff": staff, "csrf": csrf, "rows": rows}
    )


def _register_context(
    db: Any, staff: StaffUser, csrf: str, session_id: int, now: Any
) -> dict[str, Any]:
    register = service.register(db, staff, session_id, now)
    return {
        "staff": staff,
        "csrf": csrf,
        "register": register,
        "incidents": service.incidents(db, staff, session_id),
        "categories": {c: CATEGORY_LABELS[c] for c in CATEGORIES},
        "statuses": STATUS_LABELS,
        "message": None,
        "error": None,
    }


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(
    session_id: SessionId, request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    staff, csrf = _staff(request, db, settings)
    context = _register_context(db, staff, csrf, session_id, clock.now())
    context["message"] = DONE.get(request.query_params.get("done", ""))
    return render(request, "invigilator/session.html", context)


ACTIONS = (
    "start",
    "close",
    "pause_room",
    "resume_room",
    "pause",
    "resume",
    "extra_time",
    "void",
    "readmit",
    "incident",
)
DONE = {
    "start": "Session started: candidates can now sign in.",
    "close": "Session closed. Every exam still open was submitted as it stood.",
    "pause_room": "Every candidate sitting the exam is paused.",
    "resume_room": "Every paused candidate is running again.",
    "pause": "Candidate paused.",
    "resume": "Candidate resumed.",
    "extra_time": "Time added.",
    "void": "Attempt voided.",
    "readmit": "Candidate re-admitted: they can now sign in on another computer.",
    "incident": "Incident recorded.",
}


CONFIRMED = ("start", "close", "extra_time", "void", "readmit")


@router.post("/sessions/{session_id}", response_class=HTMLResponse)
async def act(
    session_id: SessionId, request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    staff, csrf = _staff(request, db, settings)
    form = await cookies.signed_form(request, csrf)
    action, number, now = form.get("action", ""), form.get("candidate_number", ""), clock.now()
    try:
        with db.begin_nested():  # a refused action leaves no trace
            if action not in ACTIONS:
                raise Invalid("Choose an action.")
            _do(db, staff, session_id, action, number, form, now)
    except AppError as exc:
        context = _register_context(db, staff, csrf, session_id, now)
        context["error"] = exc.detail
        return render(request, "invigilator/session.html", context, status_code=exc.status)
    return _see(f"/invigilate/sessions/{session_id}?done={action}")


def _do(
    db: Any,
    staff: StaffUser,
    session_id: int,
    action: str,
    number: str,
    form: dict[str, str],
    now: Any,
) -> None:
    if action == "start":
        service.start(db, staff, session_id, now)
    elif action == "close":
        service.close(db, staff, session_id, now)
    elif action == "pause_room":
        service.pause_room(db, staff, session_id, now)
    elif action == "resume_room":
        service.resume_room(db, staff, session_id, now)
    elif action == "pause":
        service.pause(db, staff, session_id, number, now)
    elif action == "resume":
        service.resume(db, staff, session_id, number, now)
    elif action == "extra_time":
        minutes = form.get("minutes", "")
        if not minutes.isdigit() or not 1 <= int(minutes) <= 240:
            raise Invalid("Enter the minutes to add, from 1 to 240.")
        if not form.get("reason"):
            raise Invalid("Give a reason for the extra time.")
        service.add_time(db, staff, session_id, number, int(minutes), now, form["reason"][:500])
    elif action == "void":
        if not form.get("reason"):
            raise Invalid("Give a reason for voiding the attempt.")
        service.void(db, staff, session_id, number, form["reason"][:2000], now)
    elif action == "readmit":
        if not form.get("reason"):
            raise Invalid("Give a reason for re-admitting the candidate.")
        service.readmit(db, staff, session_id, number, form["reason"][:2000], now)
    elif action == "incident":
        category = form.get("category", "other")
        if category not in CATEGORIES or not form.get("note"):
            raise Invalid("Choose a category and describe the incident.")
        service.record_incident(
            db, staff, session_id, number or None, category, form["note"][:4000], now
        )


@router.get("/sessions/{session_id}/confirm", response_class=HTMLResponse)
def confirm(
    session_id: SessionId, request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    """A confirmation for the actions that cannot be undone."""
    staff, csrf = _staff(request, db, settings)
    query = request.query_params
    action = query.get("action", "")
    if action not in CONFIRMED:
        return _see(f"/invigilate/sessions/{session_id}")
    context = _register_context(db, staff, csrf, session_id, clock.now())
    context.update(
        action=action,
        candidate_number=query.get("candidate", "")[:40],
        minutes=query.get("minutes", "")[:3],
        reason=query.get("reason", "")[:500],
    )
    return render(request, "invigilator/confirm.html", context)


@router.get("/sessions/{session_id}/print", response_class=HTMLResponse)
def printable(
    session_id: SessionId, request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    staff, csrf = _staff(request, db, settings)
    context = _register_context(db, staff, csrf, session_id, clock.now())
    context["printed_at"] = clock.now()
    return render(request, "invigilator/print.html", context)


@router.get("/sessions/{session_id}/register.csv")
def register_csv(
    session_id: SessionId, request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    staff, _ = _staff(request, db, settings)
    register = service.register(db, staff, session_id, clock.now())
    return _csv(reports.register_csv(register), f"register-session-{session_id}.csv")


@router.get("/sessions/{session_id}/incidents.csv")
def incidents_csv(
    session_id: SessionId, request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    staff, _ = _staff(request, db, settings)
    register = service.register(db, staff, session_id, clock.now())
    text = reports.incidents_csv(register, service.incidents(db, staff, session_id))
    return _csv(text, f"incidents-session-{session_id}.csv")


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

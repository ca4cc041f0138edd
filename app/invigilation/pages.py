"""The invigilator's pages: sign-in, the centre's sessions, the live register and its actions
(one route per action, each form parsed by the JSON API's own schema), a printable register
and incident report, candidate slips, and CSV exports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app import forms
from app.auth import cookies
from app.auth import service as auth
from app.auth.deps import StaffPage, StaffPageDep, StaffUser
from app.clock import Clock
from app.deps import AddressDep, ClockDep, DbDep, SettingsDep
from app.errors import AppError
from app.invigilation import reports, service
from app.invigilation.schemas import ExtraTimeIn, IncidentIn, NoFieldsIn, ReadmitIn, VoidIn
from app.invigilation.service import CATEGORIES
from app.paths import SessionId
from app.sittings.status import AttemptStatus
from app.web import csv_download, render

router = APIRouter(prefix="/invigilate", include_in_schema=False)
CandidateNumber = Annotated[str, Path(min_length=1, max_length=40)]
M = TypeVar("M", bound=BaseModel)

CATEGORY_LABELS = {
    "illness": "Illness",
    "disturbance": "Disturbance",
    "technical": "Technical problem",
    "suspected_malpractice": "Suspected malpractice",
    "fire_alarm": "Fire alarm or evacuation",
    "other": "Other",
}
# The attempt's statuses, and as the room sees them besides (service.RegisterLine.shown_status).
STATUS_LABELS = {
    AttemptStatus.NOT_STARTED: "Not started",
    "awaiting_approval": "Waiting to be admitted",
    "reading": "Reading instructions",
    AttemptStatus.IN_PROGRESS: "Sitting",
    AttemptStatus.PAUSED: "Paused",
    "on_break": "On a rest break",
    AttemptStatus.SUBMITTED: "Submitted",
    AttemptStatus.VOIDED: "Voided",
}
# What the register's filter offers: a status, or everyone who needs a look.
FILTERS = {"all": "Everyone", "attention": "Needs attention", **STATUS_LABELS}
SORTS = {"number": "Candidate number", "status": "Status", "remaining": "Time left"}
# The words a refused form shows, per field (the schemas' own messages are for programs).
MESSAGES = {
    "minutes": "Enter the minutes to add, from 1 to 240.",
    "reason": "Give a reason (at most 2,000 characters).",
    "note": "Describe the incident (at most 4,000 characters).",
    "category": "Choose a category from the list.",
    "candidate_number": "Choose the candidate from the list.",
}
# Time added keeps a shorter reason than a void or a re-admission (ExtraTimeIn).
EXTRA_TIME_MESSAGES = {**MESSAGES, "reason": "Give the reason in at most 500 characters."}
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
    "admit": "Candidate admitted: their exam opens now.",
    "break": "Rest break started: the candidate's clock has stopped.",
    "break_end": "Rest break ended: the candidate's clock is running again.",
    "incident": "Incident recorded.",
}
CONFIRMED = ("start", "close", "extra_time", "void", "readmit")


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("", response_class=HTMLResponse)
def sign_in_page(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    if auth.staff_account(db, cookies.read(request, settings, cookies.STAFF)):
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
    cookies.issue(response, settings, cookies.STAFF, auth.staff_session(account))
    return response


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(
    request: Request, page: StaffPageDep, db: DbDep, settings: SettingsDep
) -> Response:
    await cookies.signed_form(request, page.csrf)
    auth.sign_out_staff(db, page.staff.invigilator_id)
    response = _see("/invigilate")
    cookies.clear(response, settings, cookies.STAFF)
    return response


@router.get("/sessions", response_class=HTMLResponse)
def sessions(request: Request, page: StaffPageDep, db: DbDep) -> Response:
    rows = service.sittings_of(db, page.staff)
    context = {"staff": page.staff, "csrf": page.csrf, "rows": rows}
    return render(request, "invigilator/sessions.html", context)


def _register_context(
    db: Session, page: StaffPage, session_id: int, now: datetime, query: Any = None
) -> dict[str, Any]:
    register = service.register(db, page.staff, session_id, now)
    query = query or {}
    shown = query.get("status", "all")
    sort = query.get("sort", "number")
    lines = service.sorted_lines(
        service.filtered_lines(register.lines, shown if shown in FILTERS else "all"),
        sort if sort in SORTS else "number",
    )
    return {
        "staff": page.staff,
        "csrf": page.csrf,
        "register": register,
        "lines": lines,
        "shown": shown,
        "sort": sort,
        "filters": FILTERS,
        "sorts": SORTS,
        "counts": service.status_counts(register.lines),
        "incident_for": query.get("incident_for", ""),
        "incidents": service.incidents(db, page.staff, session_id),
        "categories": {c: CATEGORY_LABELS[c] for c in CATEGORIES},
        "statuses": STATUS_LABELS,
        "message": None,
        "error": None,
    }


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(
    session_id: SessionId, request: Request, page: StaffPageDep, db: DbDep, clock: ClockDep
) -> Response:
    query = request.query_params
    context = _register_context(db, page, session_id, clock.now(), query)
    context["message"] = DONE.get(query.get("done", ""))
    return render(request, "invigilator/session.html", context)


@dataclass(frozen=True)
class Room:
    """What every action on a session's register needs: the page's invigilator, the session,
    the request (its form), the database and the clock."""

    session_id: int
    request: Request
    page: StaffPage
    db: Session
    clock: Clock

    async def act(
        self,
        done: str,
        schema: type[M],
        action: Callable[[Session, StaffUser, M, datetime], object],
    ) -> Response:
        """Parse the form with the API's schema, then do the one thing; a refusal shows on the
        register and leaves no trace."""
        now = self.clock.now()
        try:
            messages = EXTRA_TIME_MESSAGES if schema is ExtraTimeIn else MESSAGES
            body = await forms.parse(self.request, self.page.csrf, schema, messages)
            with self.db.begin_nested():
                action(self.db, self.page.staff, body, now)
        except AppError as exc:
            if exc.status in (401, 403):
                raise
            context = _register_context(self.db, self.page, self.session_id, now)
            context["error"] = exc.detail
            return render(self.request, "invigilator/session.html", context, status_code=exc.status)
        return _see(f"/invigilate/sessions/{self.session_id}?done={done}")


def room(
    session_id: SessionId, request: Request, page: StaffPageDep, db: DbDep, clock: ClockDep
) -> Room:
    return Room(session_id, request, page, db, clock)


RoomDep = Annotated[Room, Depends(room)]
Nothing = NoFieldsIn


@router.post("/sessions/{session_id}/start", response_class=HTMLResponse)
async def start(room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, _: NoFieldsIn, now: datetime) -> None:
        service.start(db, staff, room.session_id, now)

    return await room.act("start", Nothing, act)


@router.post("/sessions/{session_id}/close", response_class=HTMLResponse)
async def close(room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, _: NoFieldsIn, now: datetime) -> None:
        service.close(db, staff, room.session_id, now)

    return await room.act("close", Nothing, act)


@router.post("/sessions/{session_id}/pause", response_class=HTMLResponse)
async def pause_room(room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, _: NoFieldsIn, now: datetime) -> None:
        service.pause_room(db, staff, room.session_id, now)

    return await room.act("pause_room", Nothing, act)


@router.post("/sessions/{session_id}/resume", response_class=HTMLResponse)
async def resume_room(room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, _: NoFieldsIn, now: datetime) -> None:
        service.resume_room(db, staff, room.session_id, now)

    return await room.act("resume_room", Nothing, act)


CANDIDATE = "/sessions/{session_id}/candidates/{number}"


@router.post(CANDIDATE + "/pause", response_class=HTMLResponse)
async def pause(number: CandidateNumber, room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, _: NoFieldsIn, now: datetime) -> None:
        service.pause(db, staff, room.session_id, number, now)

    return await room.act("pause", Nothing, act)


@router.post(CANDIDATE + "/resume", response_class=HTMLResponse)
async def resume(number: CandidateNumber, room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, _: NoFieldsIn, now: datetime) -> None:
        service.resume(db, staff, room.session_id, number, now)

    return await room.act("resume", Nothing, act)


@router.post(CANDIDATE + "/extra-time", response_class=HTMLResponse)
async def extra_time(number: CandidateNumber, room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, body: ExtraTimeIn, now: datetime) -> None:
        service.add_time(db, staff, room.session_id, number, body.minutes, now, body.reason)

    return await room.act("extra_time", ExtraTimeIn, act)


@router.post(CANDIDATE + "/void", response_class=HTMLResponse)
async def void(number: CandidateNumber, room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, body: VoidIn, now: datetime) -> None:
        service.void(db, staff, room.session_id, number, body.reason, now)

    return await room.act("void", VoidIn, act)


@router.post(CANDIDATE + "/readmit", response_class=HTMLResponse)
async def readmit(number: CandidateNumber, room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, body: ReadmitIn, now: datetime) -> None:
        service.readmit(
            db,
            staff,
            room.session_id,
            number,
            body.reason,
            now,
            next_sign_in=body.next_sign_in,
        )

    return await room.act("readmit", ReadmitIn, act)


@router.post(CANDIDATE + "/admit", response_class=HTMLResponse)
async def admit(number: CandidateNumber, room: RoomDep) -> Response:
    """Approve a candidate's first sign-in (sessions that approve admissions)."""

    def act(db: Session, staff: StaffUser, _: NoFieldsIn, now: datetime) -> None:
        service.admit(db, staff, room.session_id, number, now)

    return await room.act("admit", Nothing, act)


@router.post(CANDIDATE + "/break", response_class=HTMLResponse)
async def start_break(number: CandidateNumber, room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, _: NoFieldsIn, now: datetime) -> None:
        service.start_break(db, staff, room.session_id, number, now)

    return await room.act("break", Nothing, act)


@router.post(CANDIDATE + "/break/end", response_class=HTMLResponse)
async def end_break(number: CandidateNumber, room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, _: NoFieldsIn, now: datetime) -> None:
        service.end_break(db, staff, room.session_id, number, now)

    return await room.act("break_end", Nothing, act)


@router.post("/sessions/{session_id}/incidents", response_class=HTMLResponse)
async def incident(room: RoomDep) -> Response:
    def act(db: Session, staff: StaffUser, body: IncidentIn, now: datetime) -> None:
        number = body.candidate_number or None
        service.record_incident(db, staff, room.session_id, number, body.category, body.note, now)

    return await room.act("incident", IncidentIn, act)


@router.get("/sessions/{session_id}/confirm", response_class=HTMLResponse)
def confirm(
    session_id: SessionId, request: Request, page: StaffPageDep, db: DbDep, clock: ClockDep
) -> Response:
    """A confirmation for the actions that cannot be undone."""
    query = request.query_params
    action = query.get("action", "")
    if action not in CONFIRMED:
        return _see(f"/invigilate/sessions/{session_id}")
    context = _register_context(db, page, session_id, clock.now())
    number = query.get("candidate", "")[:40]
    minutes, reason = "", query.get("reason", "")[:500]
    if action == "extra_time":
        # Asked about only as the server would take it: the minutes read in full (1000 was
        # cut to "100" and added), and a value it would refuse is refused here, before "Yes".
        try:
            body = forms.validated(query, ExtraTimeIn, EXTRA_TIME_MESSAGES)
        except AppError as exc:
            context["error"] = exc.detail
            return render(request, "invigilator/session.html", context, status_code=exc.status)
        minutes, reason = str(body.minutes), body.reason
    context.update(
        action=action,
        # the candidate's register line (their refused computer, for a re-admission), if any
        line=next(
            (
                line
                for line in context["register"].lines
                if line.candidate.candidate_number.lower() == number.lower()
            ),
            None,
        ),
        candidate_number=number,
        minutes=minutes,
        reason=reason,
    )
    return render(request, "invigilator/confirm.html", context)


@router.get("/sessions/{session_id}/print", response_class=HTMLResponse)
def printable(
    session_id: SessionId, request: Request, page: StaffPageDep, db: DbDep, clock: ClockDep
) -> Response:
    now = clock.now()
    context = _register_context(db, page, session_id, now)
    context["printed_at"] = now
    context["histories"] = service.histories(db, page.staff, session_id)
    return render(request, "invigilator/print.html", context)


@router.get("/sessions/{session_id}/slips", response_class=HTMLResponse)
def slips(
    session_id: SessionId, request: Request, page: StaffPageDep, db: DbDep, clock: ClockDep
) -> Response:
    """One slip per candidate with their number and personal access code, to cut and hand out."""
    context = _register_context(db, page, session_id, clock.now())
    return render(request, "invigilator/slips.html", context)


@router.get("/sessions/{session_id}/register.csv")
def register_csv(session_id: SessionId, page: StaffPageDep, db: DbDep, clock: ClockDep) -> Response:
    register = service.register(db, page.staff, session_id, clock.now())
    return _csv(reports.register_csv(register), f"register-session-{session_id}.csv")


@router.get("/sessions/{session_id}/incidents.csv")
def incidents_csv(
    session_id: SessionId, page: StaffPageDep, db: DbDep, clock: ClockDep
) -> Response:
    register = service.register(db, page.staff, session_id, clock.now())
    text = reports.incidents_csv(register, service.incidents(db, page.staff, session_id))
    return _csv(text, f"incidents-session-{session_id}.csv")


def _csv(text: str, filename: str) -> Response:
    return csv_download(text, filename)

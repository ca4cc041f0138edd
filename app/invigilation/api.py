"""The invigilator's JSON routes (cookie + CSRF), scoped to their own centre."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from app.auth.deps import BearerOrStaffDep, StaffDep, StaffUser
from app.deps import ClockDep, DbDep
from app.invigilation import service
from app.invigilation.schemas import (
    AttemptCounts,
    ExtraTimeIn,
    IncidentIn,
    IncidentOut,
    ReadmitIn,
    RegisterLineOut,
    SessionOut,
    SessionSummary,
    VoidIn,
)
from app.paths import SessionId, unit_urn
from app.sittings import listing
from app.sittings.status import AttemptStatus, SittingStatus
from app.windows import window

router = APIRouter(prefix="/api/v1/sessions", tags=["invigilator"])


def session_out(register: service.Register) -> SessionOut:
    s = register.sitting
    return SessionOut(
        id=s.id,
        centre=register.centre_code,
        unit=register.unit.urn,
        unit_title=register.unit.title,
        status=SittingStatus(s.status),
        access_code=s.access_code,
        approve_admission=s.approve_admission,
        scheduled_start=s.scheduled_start,
        duration_minutes=s.duration_minutes,
        candidates=[
            RegisterLineOut(
                candidate_number=line.candidate.candidate_number,
                name=f"{line.candidate.first_name} {line.candidate.last_name}",
                status=AttemptStatus(line.attempt.status),
                access_code=line.attempt.access_code,
                admission=service.admission(line.attempt),
                credited_seconds=line.attempt.credited_seconds,
                answered=line.answered,
                total=line.total,
                remaining_seconds=line.remaining_seconds,
                last_seen_at=line.attempt.last_seen_at,
                disconnected=line.disconnected,
                lost_seconds=line.attempt.lost_seconds,
                device=line.device,
                readmitted_at=line.attempt.readmitted_at,
                refused_sign_in_at=line.attempt.refused_sign_in_at,
                shown_status=line.shown_status,
                reading_until=line.attempt.reading_until,
                on_break=line.attempt.break_started_at is not None,
                rest_break_seconds=line.attempt.rest_break_seconds,
                rest_breaks=line.candidate.rest_breaks,
                extra_time_percent=line.candidate.extra_time_percent,
                started_at=line.attempt.started_at,
            )
            for line in register.lines
        ],
    )


def _state(db: Session, staff: StaffUser, session_id: int, now: datetime) -> SessionOut:
    """Every action answers with the session's register as it now stands."""
    return session_out(service.register(db, staff, session_id, now))


@router.get("", response_model=list[SessionSummary], tags=["awarding body"])
def list_sessions(
    caller: BearerOrStaffDep,
    db: DbDep,
    centre: str | None = Query(default=None, max_length=20, description="a centre's code"),
    unit: str | None = Query(default=None, max_length=20, description="D/601/7644 or D-601-7644"),
    status: SittingStatus | None = Query(default=None),
    start_from: str | None = Query(
        default=None,
        alias="from",
        max_length=40,
        description="scheduled to start at or after: an RFC 3339 date-time, or a date (from its "
        "midnight UTC)",
    ),
    start_to: str | None = Query(
        default=None,
        alias="to",
        max_length=40,
        description="scheduled to start before: an RFC 3339 date-time, or a date (the whole "
        "day included)",
    ),
    limit: int = Query(default=500, ge=1, le=listing.MAX_LIST),
) -> list[SessionSummary]:
    """Sessions by centre, unit, status and scheduled start. With an admin bearer token: every
    centre's, latest first. Signed in as an invigilator: your own centre's only (a `centre`
    filter cannot leave it), earliest first."""
    urn = unit_urn(unit.replace("/", "-")) if unit else None
    within = window(start_from, start_to)  # dates as item statistics and calibration take them
    staff = caller if isinstance(caller, StaffUser) else None
    if staff and centre and centre.lower() != staff.centre_code.lower():
        return []
    rows = listing.find(
        db,
        centre=None if staff else centre,
        centre_id=staff.centre_id if staff else None,
        unit=urn,
        status=status,
        start_from=within.start,
        start_to=within.end,
        limit=limit,
    )
    if staff:  # as the invigilator's list always was: earliest first
        rows.sort(key=lambda r: (r.sitting.scheduled_start, r.sitting.id))
    return [
        SessionSummary(
            id=r.sitting.id,
            centre=r.centre,
            unit=r.unit,
            unit_title=r.unit_title,
            status=SittingStatus(r.sitting.status),
            scheduled_start=r.sitting.scheduled_start,
            duration_minutes=r.sitting.duration_minutes,
            candidates=r.candidates,
            attempts=AttemptCounts(**r.counts),
        )
        for r in rows
    ]


@router.get("/{session_id}", response_model=SessionOut)
def get_session(session_id: SessionId, staff: StaffDep, db: DbDep, clock: ClockDep) -> SessionOut:
    return _state(db, staff, session_id, clock.now())


@router.post("/{session_id}/start", response_model=SessionOut)
def start(session_id: SessionId, staff: StaffDep, db: DbDep, clock: ClockDep) -> SessionOut:
    now = clock.now()
    service.start(db, staff, session_id, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/close", response_model=SessionOut)
def close(session_id: SessionId, staff: StaffDep, db: DbDep, clock: ClockDep) -> SessionOut:
    now = clock.now()
    service.close(db, staff, session_id, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/candidates/{candidate_number}/pause", response_model=SessionOut)
def pause(
    session_id: SessionId, candidate_number: str, staff: StaffDep, db: DbDep, clock: ClockDep
) -> SessionOut:
    now = clock.now()
    service.pause(db, staff, session_id, candidate_number, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/candidates/{candidate_number}/admit", response_model=SessionOut)
def admit(
    session_id: SessionId, candidate_number: str, staff: StaffDep, db: DbDep, clock: ClockDep
) -> SessionOut:
    """Approve a candidate's first sign-in (sessions that approve admissions): the clock starts."""
    now = clock.now()
    service.admit(db, staff, session_id, candidate_number, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/candidates/{candidate_number}/resume", response_model=SessionOut)
def resume(
    session_id: SessionId, candidate_number: str, staff: StaffDep, db: DbDep, clock: ClockDep
) -> SessionOut:
    now = clock.now()
    service.resume(db, staff, session_id, candidate_number, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/candidates/{candidate_number}/extra-time", response_model=SessionOut)
def extra_time(
    session_id: SessionId,
    candidate_number: str,
    body: ExtraTimeIn,
    staff: StaffDep,
    db: DbDep,
    clock: ClockDep,
) -> SessionOut:
    now = clock.now()
    service.add_time(db, staff, session_id, candidate_number, body.minutes, now, body.reason)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/incidents", status_code=201, response_model=IncidentOut)
def record_incident(
    session_id: SessionId, body: IncidentIn, staff: StaffDep, db: DbDep, clock: ClockDep
) -> IncidentOut:
    incident, number = service.record_incident(
        db, staff, session_id, body.candidate_number, body.category, body.note, clock.now()
    )
    return IncidentOut(
        id=incident.id,
        candidate_number=number,
        category=incident.category,
        note=incident.note,
        created_at=incident.created_at,
    )


@router.post("/{session_id}/pause", response_model=SessionOut)
def pause_room(session_id: SessionId, staff: StaffDep, db: DbDep, clock: ClockDep) -> SessionOut:
    """Pause every candidate sitting the exam (a fire alarm)."""
    now = clock.now()
    service.pause_room(db, staff, session_id, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/resume", response_model=SessionOut)
def resume_room(session_id: SessionId, staff: StaffDep, db: DbDep, clock: ClockDep) -> SessionOut:
    now = clock.now()
    service.resume_room(db, staff, session_id, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/candidates/{candidate_number}/void", response_model=SessionOut)
def void(
    session_id: SessionId,
    candidate_number: str,
    body: VoidIn,
    staff: StaffDep,
    db: DbDep,
    clock: ClockDep,
) -> SessionOut:
    now = clock.now()
    service.void(db, staff, session_id, candidate_number, body.reason, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/candidates/{candidate_number}/break", response_model=SessionOut)
def start_break(
    session_id: SessionId, candidate_number: str, staff: StaffDep, db: DbDep, clock: ClockDep
) -> SessionOut:
    """Start a supervised rest break (the candidate's rest_breaks arrangement): clock stops."""
    now = clock.now()
    service.start_break(db, staff, session_id, candidate_number, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/candidates/{candidate_number}/break/end", response_model=SessionOut)
def end_break(
    session_id: SessionId, candidate_number: str, staff: StaffDep, db: DbDep, clock: ClockDep
) -> SessionOut:
    now = clock.now()
    service.end_break(db, staff, session_id, candidate_number, now)
    return _state(db, staff, session_id, now)


@router.post("/{session_id}/candidates/{candidate_number}/readmit", response_model=SessionOut)
def readmit(
    session_id: SessionId,
    candidate_number: str,
    body: ReadmitIn,
    staff: StaffDep,
    db: DbDep,
    clock: ClockDep,
) -> SessionOut:
    """Re-admit a candidate on another device: the device holding the paper is signed out, and
    the paper kept for the computer last refused (`computer: refused`, the default) or for the
    next sign-in on any computer (`computer: next`)."""
    now = clock.now()
    service.readmit(
        db,
        staff,
        session_id,
        candidate_number,
        body.reason,
        now,
        next_sign_in=body.next_sign_in,
    )
    return _state(db, staff, session_id, now)

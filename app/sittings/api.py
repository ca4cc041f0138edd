"""JSON routes: the awarding body schedules sessions; the candidate sits the paper."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response

from app.auth.deps import AdminToken
from app.deps import AddressDep, ClockDep, DbDep, SettingsDep, UserAgentDep
from app.paths import Position
from app.sittings import devices, scheduling, service, tickets, timing
from app.sittings.deps import AttemptDep, LockedAttemptDep, TicketDep
from app.sittings.models import Attempt
from app.sittings.schemas import (
    AnswerIn,
    AttemptOut,
    AttemptStateOut,
    CandidateLogin,
    CandidateLoginOut,
    ClockOut,
    FlagIn,
    FlagOut,
    OptionOut,
    QuestionOut,
    SavedOut,
    SessionCreated,
    SessionIn,
    SubmittedOut,
)

router = APIRouter(prefix="/api/v1")


@router.post("/sessions", status_code=201, response_model=SessionCreated, tags=["awarding body"])
def schedule_session(
    body: SessionIn, db: DbDep, clock: ClockDep, token: AdminToken
) -> SessionCreated:
    sitting = scheduling.schedule(
        db,
        clock.now(),
        centre=body.centre,
        unit=body.unit,
        scheduled_start=body.scheduled_start,
        candidate_numbers=body.candidates,
        duration_minutes=body.duration_minutes,
        reading_minutes=body.reading_minutes,
        actor=f"awarding-body:{token.name}",
    )
    return SessionCreated(id=sitting.id, access_code=sitting.access_code, status=sitting.status)


@router.post("/auth/candidate", response_model=CandidateLoginOut, tags=["candidate"])
def login_candidate(
    body: CandidateLogin,
    request: Request,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    clock: ClockDep,
    address: AddressDep,
    user_agent: UserAgentDep,
) -> CandidateLoginOut:
    device = devices.device_id(request)
    try:
        attempt = service.login(
            db,
            settings,
            clock.now(),
            candidate_number=body.candidate_number,
            access_code=body.access_code,
            address=address,
            device=device,
            user_agent=user_agent,
        )
    except devices.OpenElsewhere as exc:
        # Keep this device's id, so a re-admission can give the paper to it.
        exc.headers["set-cookie"] = devices.cookie_header(settings, device)
        raise
    csrf = tickets.issue(response, settings, attempt, device)
    return CandidateLoginOut(csrf_token=csrf, attempt_id=attempt.id)


def attempt_out(view: service.AttemptView) -> AttemptOut:
    attempt = view.attempt
    return AttemptOut(
        status=attempt.status,
        unit=view.unit.urn,
        unit_title=view.unit.title,
        deadline=view.deadline,
        remaining_seconds=view.remaining_seconds,
        answered=sum(1 for q in view.questions if q.answer is not None),
        total=len(view.questions),
        on_break=attempt.break_started_at is not None,
        rest_breaks=view.candidate.rest_breaks,
        reading_until=attempt.reading_until,
        warnings=timing.warnings(attempt.allowed_seconds),
        items=[
            QuestionOut(
                position=q.position,
                stem=q.stem,
                options=[OptionOut(id=i, text=t) for i, t in q.options],
                answer=q.answer,
                flagged=q.flagged,
                seq=q.seq,
                saved_at=q.saved_at if q.answer is not None else None,
            )
            for q in view.questions
        ],
    )


def state_out(attempt: Attempt, now: datetime) -> AttemptStateOut:
    return AttemptStateOut(
        status=attempt.status,
        remaining_seconds=timing.remaining_seconds(attempt, now),
        deadline=timing.shown_deadline(attempt, now),
        on_break=attempt.break_started_at is not None,
        reading_until=attempt.reading_until,
    )


@router.get("/attempt", response_model=AttemptOut, tags=["candidate"])
def get_attempt(attempt: AttemptDep, db: DbDep, clock: ClockDep) -> AttemptOut:
    return attempt_out(service.view(db, attempt, clock.now()))


@router.put("/attempt/answers/{position}", response_model=SavedOut, tags=["candidate"])
def save_answer(
    position: Position, body: AnswerIn, attempt: AttemptDep, db: DbDep, clock: ClockDep
) -> SavedOut:
    saved = service.save_answer(db, attempt, clock.now(), position, body.option_id, body.seq)
    return SavedOut(saved_at=saved)


@router.put("/attempt/flags/{position}", response_model=FlagOut, tags=["candidate"])
def set_flag(
    position: Position, body: FlagIn, attempt: AttemptDep, db: DbDep, clock: ClockDep
) -> FlagOut:
    service.set_flag(db, attempt, clock.now(), position, body.flagged)
    return FlagOut(position=position, flagged=body.flagged)


@router.post("/attempt/submit", response_model=SubmittedOut, tags=["candidate"])
def submit(attempt: LockedAttemptDep, db: DbDep, clock: ClockDep) -> SubmittedOut:
    return SubmittedOut(status=service.submit(db, attempt, clock.now()).status)


@router.post("/attempt/start", response_model=AttemptStateOut, tags=["candidate"])
def start(attempt: LockedAttemptDep, db: DbDep, clock: ClockDep) -> AttemptStateOut:
    """The candidate has read the instructions: their clock starts now (idempotent)."""
    now = clock.now()
    return state_out(service.start(db, attempt, now), now)


@router.post("/attempt/break", response_model=AttemptStateOut, tags=["candidate"])
def start_break(attempt: LockedAttemptDep, db: DbDep, clock: ClockDep) -> AttemptStateOut:
    """Start a supervised rest break (the rest_breaks access arrangement): the clock stops."""
    now = clock.now()
    service.start_break(db, attempt, now)
    return state_out(attempt, now)


@router.post("/attempt/break/end", response_model=AttemptStateOut, tags=["candidate"])
def end_break(attempt: LockedAttemptDep, db: DbDep, clock: ClockDep) -> AttemptStateOut:
    now = clock.now()
    service.end_break(db, attempt, now)
    return state_out(attempt, now)


@router.get("/attempt/clock", response_model=ClockOut, tags=["candidate"])
def get_clock(
    request: Request, attempt: AttemptDep, ticket: TicketDep, clock: ClockDep
) -> ClockOut:
    """The server's clock for this attempt. The exam page polls it with the page header, and
    so reports that it is open (see devices)."""
    now = clock.now()
    if request.headers.get(devices.PAGE_HEADER):
        devices.page_seen(attempt, ticket.device_hash, now)
    return ClockOut(
        status=attempt.status,
        remaining_seconds=timing.remaining_seconds(attempt, now),
        deadline=timing.shown_deadline(attempt, now),
    )

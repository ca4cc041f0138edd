"""JSON routes: the awarding body schedules sessions; the candidate sits the paper."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response

from app.auth import cookies
from app.auth.deps import AdminToken
from app.deps import AddressDep, ClockDep, DbDep, SettingsDep, UserAgentDep
from app.paths import Position
from app.sittings import devices, lifecycle, scheduling, service, tickets, timing
from app.sittings.deps import AttemptDep, LockedAttemptDep, TicketDep
from app.sittings.models import Attempt
from app.sittings.schemas import (
    AnswerIn,
    AttemptOut,
    AttemptStateOut,
    CandidateCode,
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
from app.sittings.service import CandidateCredentials
from app.sittings.status import AttemptStatus, SittingStatus

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
        approve_admission=body.approve_admission,
        reading_minutes=body.reading_minutes,
        actor=f"awarding-body:{token.name}",
    )
    return SessionCreated(
        id=sitting.id,
        access_code=sitting.access_code,
        status=SittingStatus(sitting.status),
        approve_admission=sitting.approve_admission,
        candidates=[
            CandidateCode(candidate_number=number, access_code=code)
            for number, code in scheduling.codes_of(db, sitting)
        ],
    )


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
            device_presented=devices.COOKIE in request.cookies,
        )
    except (devices.OpenElsewhere, CandidateCredentials) as exc:
        # Keep this device's id: a re-admission can give the paper to it, and its wrong
        # guesses are counted as its own, not the room's (see service.login).
        exc.headers["set-cookie"] = devices.cookie_header(settings, device)
        raise
    csrf = tickets.issue(response, settings, attempt, device)
    return CandidateLoginOut(
        csrf_token=csrf, attempt_id=attempt.id, admission=service.admission_state(attempt)
    )


def attempt_out(view: service.AttemptView) -> AttemptOut:
    attempt = view.attempt
    return AttemptOut(
        status=AttemptStatus(attempt.status),
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
                rich=q.stem_html is not None or bool(q.images),
            )
            for q in view.questions
        ],
    )


def state_out(attempt: Attempt, now: datetime) -> AttemptStateOut:
    return AttemptStateOut(
        status=AttemptStatus(attempt.status),
        remaining_seconds=timing.remaining_seconds(attempt, now),
        deadline=timing.shown_deadline(attempt, now),
        on_break=attempt.break_started_at is not None,
        reading_until=attempt.reading_until,
    )


@router.get("/attempt", response_model=AttemptOut, tags=["candidate"])
def get_attempt(attempt: AttemptDep, db: DbDep, clock: ClockDep) -> AttemptOut:
    service.require_admitted(attempt)
    return attempt_out(service.view(db, attempt, clock.now()))


@router.put("/attempt/answers/{position}", response_model=SavedOut, tags=["candidate"])
def save_answer(
    position: Position, body: AnswerIn, attempt: LockedAttemptDep, db: DbDep, clock: ClockDep
) -> SavedOut:
    saved = lifecycle.save(
        db, attempt, clock.now(), position=position, option_id=body.option_id, seq=body.seq
    )
    return SavedOut(saved_at=saved)


@router.put("/attempt/flags/{position}", response_model=FlagOut, tags=["candidate"])
def set_flag(
    position: Position, body: FlagIn, attempt: LockedAttemptDep, db: DbDep, clock: ClockDep
) -> FlagOut:
    lifecycle.flag(db, attempt, clock.now(), position=position, flagged=body.flagged)
    return FlagOut(position=position, flagged=body.flagged)


@router.post("/attempt/submit", response_model=SubmittedOut, tags=["candidate"])
def submit(attempt: LockedAttemptDep, db: DbDep, clock: ClockDep) -> SubmittedOut:
    lifecycle.submit(db, attempt, clock.now())
    return SubmittedOut(status=AttemptStatus(attempt.status))


@router.post("/attempt/sign-out", status_code=204, tags=["candidate"])
def sign_out(
    attempt: LockedAttemptDep, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    """Sign this candidate out everywhere: the cookie stops working at once (the paper and its
    answers stay; the candidate's code admits them again)."""
    lifecycle.sign_out(db, attempt, clock.now())
    response = Response(status_code=204)
    cookies.clear(response, settings, cookies.CANDIDATE)
    return response


@router.post("/attempt/start", response_model=AttemptStateOut, tags=["candidate"])
def start(attempt: LockedAttemptDep, db: DbDep, clock: ClockDep) -> AttemptStateOut:
    """The candidate has read the instructions: their clock starts now (idempotent)."""
    service.require_admitted(attempt)
    now = clock.now()
    lifecycle.start(db, attempt, now)
    return state_out(attempt, now)


@router.post("/attempt/break", response_model=AttemptStateOut, tags=["candidate"])
def start_break(attempt: LockedAttemptDep, db: DbDep, clock: ClockDep) -> AttemptStateOut:
    """Start a supervised rest break (the rest_breaks access arrangement): the clock stops."""
    now = clock.now()
    service.start_break(db, attempt, now)
    return state_out(attempt, now)


@router.post("/attempt/break/end", response_model=AttemptStateOut, tags=["candidate"])
def end_break(attempt: LockedAttemptDep, db: DbDep, clock: ClockDep) -> AttemptStateOut:
    now = clock.now()
    lifecycle.end_break(db, attempt, now, actor="candidate")
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
        status=AttemptStatus(attempt.status),
        admission=service.admission_state(attempt),
        remaining_seconds=timing.remaining_seconds(attempt, now),
        deadline=timing.shown_deadline(attempt, now),
    )

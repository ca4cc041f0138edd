"""JSON routes: the awarding body schedules sessions; the candidate sits the paper."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth import cookies
from app.auth.deps import AdminToken
from app.deps import AddressDep, ClockDep, DbDep, DeviceDep, SettingsDep
from app.paths import Position
from app.sittings import scheduling, service, timing
from app.sittings.deps import AttemptDep, LockedAttemptDep
from app.sittings.schemas import (
    AnswerIn,
    AttemptOut,
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
        actor=f"awarding-body:{token.name}",
    )
    return SessionCreated(id=sitting.id, access_code=sitting.access_code, status=sitting.status)


@router.post("/auth/candidate", response_model=CandidateLoginOut, tags=["candidate"])
def login_candidate(
    body: CandidateLogin,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    clock: ClockDep,
    address: AddressDep,
    device: DeviceDep,
) -> CandidateLoginOut:
    attempt = service.login(
        db,
        settings,
        clock.now(),
        candidate_number=body.candidate_number,
        access_code=body.access_code,
        address=address,
        device=device,
    )
    csrf = cookies.new_csrf_token()
    cookies.issue(response, settings, cookies.CANDIDATE, {"attempt": attempt.id, "csrf": csrf})
    return CandidateLoginOut(csrf_token=csrf, attempt_id=attempt.id)


def attempt_out(view: service.AttemptView) -> AttemptOut:
    return AttemptOut(
        status=view.attempt.status,
        unit=view.unit.urn,
        unit_title=view.unit.title,
        deadline=view.deadline,
        remaining_seconds=view.remaining_seconds,
        answered=sum(1 for q in view.questions if q.answer is not None),
        total=len(view.questions),
        items=[
            QuestionOut(
                position=q.position,
                stem=q.stem,
                options=[OptionOut(id=i, text=t) for i, t in q.options],
                answer=q.answer,
                flagged=q.flagged,
            )
            for q in view.questions
        ],
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


@router.get("/attempt/clock", response_model=ClockOut, tags=["candidate"])
def get_clock(attempt: AttemptDep, clock: ClockDep) -> ClockOut:
    """The server's clock for this attempt: the page polls it (and so reports it is alive)."""
    now = clock.now()
    return ClockOut(
        status=attempt.status,
        remaining_seconds=timing.remaining_seconds(attempt, now),
        deadline=timing.shown_deadline(attempt, now),
    )

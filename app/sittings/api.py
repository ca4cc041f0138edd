"""JSON routes: the awarding body schedules sessions; the candidate sits the paper."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.auth import cookies
from app.auth.deps import AdminToken
from app.db import Bare
from app.deps import CallDep, ClockDep, DbDep, SettingsDep, address_of, user_agent_of
from app.idempotency import service as idempotency
from app.ops import metrics
from app.paths import Position
from app.sittings import devices, lifecycle, scheduling, service, tickets, timing
from app.sittings.deps import CandidateDep, LockedAttemptDep
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


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionCreated,
    tags=["awarding body"],
    responses={
        201: {
            "headers": {
                "Idempotent-Replayed": {
                    "description": "true when this is the answer an earlier request with the same "
                    "Idempotency-Key got (nothing was scheduled again)",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            }
        }
    },
)
def schedule_session(
    body: SessionIn,
    db: DbDep,
    clock: ClockDep,
    token: AdminToken,
    idempotency_key: str | None = Header(
        default=None,
        alias=idempotency.HEADER,
        description="any unique string (a UUID): a retry with the same key and body within 24 "
        "hours is answered as the first request was, and schedules nothing more",
    ),
) -> Response:
    claim = idempotency.claim(
        db,
        token_id=token.id,
        operation="POST /api/v1/sessions",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
        now=clock.now(),
    )
    if claim.replay is not None:
        status_code, answer = claim.replay
        return JSONResponse(answer, status_code, headers={"Idempotent-Replayed": "true"})
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
    created = SessionCreated(
        id=sitting.id,
        access_code=sitting.access_code,
        status=SittingStatus(sitting.status),
        approve_admission=sitting.approve_admission,
        candidates=[
            CandidateCode(candidate_number=number, access_code=code)
            for number, code in scheduling.codes_of(db, sitting)
        ],
    )
    answer = created.model_dump(mode="json")
    claim.answer(201, answer)
    return JSONResponse(answer, 201)


@router.post("/auth/candidate", response_model=CandidateLoginOut, tags=["candidate"])
async def login_candidate(body: CandidateLogin, request: Request, call: CallDep) -> Response:
    settings, clock = call.settings, call.clock
    address, user_agent = address_of(request), user_agent_of(request)
    device = devices.device_id(request)

    found: service.SignIn | None = None
    now = clock.now()

    def quiet(db: Bare) -> service.SignedIn | Attempt | None:
        nonlocal found, now
        now = clock.now()
        found = service.login_read(
            db,
            settings,
            now,
            candidate_number=body.candidate_number,
            access_code=body.access_code,
            address=address,
            device=device,
            device_presented=devices.COOKIE in request.cookies,
        )
        return service.login_quiet(db, now, found, address=address, user_agent=user_agent)

    def full(db: Session) -> service.SignedIn | Attempt:
        assert found is not None  # read by `quiet`, in this same transaction, under its locks
        return service.login_write(db, now, found, address=address, user_agent=user_agent)

    try:
        # One write transaction, one thread hop: the lookup and the throttle's state with the
        # attempt's row locked, the returning candidate's sign-in on that bare connection, and
        # only a first sign-in (or a refusal) in a Session. (A separate read transaction first
        # cost more than the reads it kept out of SQLite's write lock: bench/README.md.)
        attempt = await call.database.write_quiet(quiet, full)
    except (devices.OpenElsewhere, CandidateCredentials) as exc:
        # Keep this device's id: a re-admission can give the paper to it, and its wrong
        # guesses are counted as its own, not the room's (see service.login).
        exc.headers["set-cookie"] = devices.cookie_header(settings, device)
        raise
    # The response is built here, its cookies on it, as the save's is (json_response): no
    # second response for FastAPI to validate the model through and copy the cookies from.
    csrf = cookies.new_csrf_token()
    response = json_response(
        CandidateLoginOut(
            csrf_token=csrf, attempt_id=attempt.id, admission=service.admission_state(attempt)
        )
    )
    tickets.issue(response, settings, attempt, device, csrf=csrf)
    return response


def attempt_out(view: service.PaperView) -> AttemptOut:
    return AttemptOut(
        status=AttemptStatus(view.status),
        unit=view.unit,
        unit_title=view.unit_title,
        deadline=view.deadline,
        remaining_seconds=view.remaining_seconds,
        answered=sum(1 for q in view.questions if q.answer is not None),
        total=len(view.questions),
        on_break=view.on_break,
        rest_breaks=view.rest_breaks,
        reading_until=view.reading_until,
        warnings=timing.warnings(view.allowed_seconds),
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


def json_response(model: BaseModel) -> Response:
    """The model as JSON, as FastAPI would write it for the route's response_model, without
    validating again what was just built from typed values (a hot path's 200)."""
    return Response(model.model_dump_json(), media_type="application/json")


# The candidate's hot paths are async routes whose whole unit of work runs in one call on the
# thread pool (app.deps.Database): one thread hop per request. The clock is read inside it, so
# a request that waited for a thread is judged by the time it is applied. Changes lock the
# attempt's row first (service.load(lock=True)), as every transition does (lifecycle). A save
# or a flag first tries its quiet case on a bare Core connection (no ORM Session: about a fifth
# of its database side) and takes the full path in a Session only when that declines.


def state_out(attempt: Attempt, now: datetime) -> AttemptStateOut:
    return AttemptStateOut(
        status=AttemptStatus(attempt.status),
        remaining_seconds=timing.remaining_seconds(attempt, now),
        deadline=timing.shown_deadline(attempt, now),
        on_break=attempt.break_started_at is not None,
        reading_until=attempt.reading_until,
    )


@router.get("/attempt", response_model=AttemptOut, tags=["candidate"])
async def get_attempt(candidate: CandidateDep) -> AttemptOut:
    ticket, clock = candidate.ticket, candidate.call.clock
    view = await candidate.call.database.read_or_write(
        lambda db: service.paper_read(db, ticket, clock.now()),
        lambda db: service.paper_write(db, ticket, clock.now()),
    )
    return attempt_out(view)


@router.put("/attempt/answers/{position}", response_model=SavedOut, tags=["candidate"])
async def save_answer(position: Position, body: AnswerIn, candidate: CandidateDep) -> Response:
    ticket, clock = candidate.ticket, candidate.call.clock

    def quiet(db: Bare) -> datetime | None:
        attempt_id, admission, now = ticket.attempt_id, ticket.admission, clock.now()
        return lifecycle.save_quiet(
            db,
            attempt_id,
            admission,
            now,
            position=position,
            option_id=body.option_id,
            seq=body.seq,
        )

    def full(db: Session) -> datetime:
        now = clock.now()
        attempt = lifecycle.Locked(service.load(db, ticket, now, lock=True))
        return lifecycle.save(
            db, attempt, now, position=position, option_id=body.option_id, seq=body.seq
        )

    saved_at = await candidate.call.database.write_quiet(quiet, full)
    metrics.ANSWERS.inc()
    return json_response(SavedOut(saved_at=saved_at))


@router.put("/attempt/flags/{position}", response_model=FlagOut, tags=["candidate"])
async def set_flag(position: Position, body: FlagIn, candidate: CandidateDep) -> Response:
    ticket, clock = candidate.ticket, candidate.call.clock

    def quiet(db: Bare) -> bool | None:
        attempt_id, admission, flagged = ticket.attempt_id, ticket.admission, body.flagged
        now = clock.now()
        return (
            lifecycle.flag_quiet(db, attempt_id, admission, now, position=position, flagged=flagged)
            or None
        )

    def full(db: Session) -> bool:
        now = clock.now()
        attempt = lifecycle.Locked(service.load(db, ticket, now, lock=True))
        lifecycle.flag(db, attempt, now, position=position, flagged=body.flagged)
        return True

    await candidate.call.database.write_quiet(quiet, full)
    return json_response(FlagOut(position=position, flagged=body.flagged))


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
async def get_clock(request: Request, candidate: CandidateDep) -> Response:
    """The server's clock for this attempt. The exam page polls it with the page header, and
    so reports that it is open (see devices). Most polls change nothing and only read."""
    page = bool(request.headers.get(devices.PAGE_HEADER))
    ticket, clock = candidate.ticket, candidate.call.clock
    view = await candidate.call.database.read_or_write(
        lambda db: service.heartbeat_read(db, ticket, clock.now(), page),
        lambda db: service.heartbeat_write(db, ticket, clock.now(), page),
    )
    return json_response(
        ClockOut(
            status=AttemptStatus(view.status),
            admission=view.admission,
            remaining_seconds=view.remaining_seconds,
            deadline=view.deadline,
        )
    )

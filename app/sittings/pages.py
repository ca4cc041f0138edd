"""The candidate's exam in the browser: server-rendered pages that work as plain forms, which
static/js/exam.js enhances with autosave, an offline outbox and a live clock."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import cookies
from app.candidates.models import Candidate
from app.deps import AddressDep, ClockDep, DbDep, SettingsDep, UserAgentDep
from app.errors import AppError
from app.paths import Position
from app.sittings import devices, lifecycle, offline, service, tickets, timing
from app.sittings.deps import (
    AnyCandidatePageDep,
    CandidatePage,
    CandidatePageDep,
    FinishedCandidatePageDep,
    MaybeCandidatePageDep,
    signed_in_page,
)
from app.sittings.status import AttemptStatus
from app.web import render

router = APIRouter(prefix="/exam", include_in_schema=False)

TEXT_SIZE_LABELS = {"100": "Standard", "125": "Large", "150": "Larger", "200": "Largest"}
SCHEME_LABELS = {
    "default": "Standard (black on white)",
    "contrast": "High contrast (yellow on black)",
    "cream": "Cream background",
    "yellow": "Yellow background",
}


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _exam_page(
    request: Request, template: str, page: CandidatePage, context: dict[str, Any]
) -> Response:
    """A page of the paper, which the service worker may keep for this attempt offline."""
    return render(request, template, context, headers=offline.keep_headers(page.attempt))


def _context(db: Any, page: CandidatePage, now: Any, **extra: Any) -> dict[str, Any]:
    attempt = page.attempt
    view = service.view(db, attempt, now)
    candidate: Candidate = view.candidate
    display = candidate.display or {}
    return {
        "view": view,
        "attempt": attempt,
        "csrf": page.csrf,
        "text_size": display.get("text_size", "100"),
        "scheme": display.get("scheme", "default"),
        "text_sizes": TEXT_SIZE_LABELS,
        "schemes": SCHEME_LABELS,
        "answered": sum(1 for q in view.questions if q.answer is not None),
        "flagged": sum(1 for q in view.questions if q.flagged),
        "warnings": timing.warnings(attempt.allowed_seconds),
        "on_break": attempt.break_started_at is not None,
        "rest_breaks": candidate.rest_breaks,
        **extra,
    }


@router.get("", response_class=HTMLResponse)
def sign_in_page(request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep) -> Response:
    moved = request.query_params.get("moved") == "1"
    if not moved and signed_in_page(request, db, settings, clock) is not None:
        return _see("/exam/start")
    context: dict[str, Any] = {"error": None, "values": {}, "moved": moved}
    page = render(request, "candidate/sign_in.html", context)
    if devices.COOKIE not in request.cookies:
        # This browser's own device id from the start: its sign-in attempts are then counted
        # as its own, not with every cookie-less request from the room's address.
        devices.remember(page, settings, devices.device_id(request))
    return page


@router.post("", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    clock: ClockDep,
    address: AddressDep,
    user_agent: UserAgentDep,
) -> Response:
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    number, code = form.get("candidate_number", ""), form.get("access_code", "")
    if not number or not code:
        error = "Enter your candidate number and the access code."
        return render(
            request, "candidate/sign_in.html", {"error": error, "values": form}, status_code=422
        )
    device = devices.device_id(request)
    try:
        attempt = service.login(
            db,
            settings,
            clock.now(),
            candidate_number=number,
            access_code=code,
            address=address,
            device=device,
            user_agent=user_agent,
            exclusive=True,
            device_presented=devices.COOKIE in request.cookies,
        )
    except AppError as exc:
        # Answered, not raised: the request's transaction commits, so the failure is counted.
        context = {"error": exc.detail, "values": form}
        page = render(request, "candidate/sign_in.html", context, status_code=exc.status)
        devices.remember(page, settings, device)  # a re-admission can then name this device
        return page
    response = _see("/exam/start")
    tickets.issue(response, settings, attempt, device)
    return response


@router.get("/start", response_class=HTMLResponse)
def instructions(request: Request, page: CandidatePageDep, db: DbDep, clock: ClockDep) -> Response:
    return _exam_page(request, "candidate/instructions.html", page, _context(db, page, clock.now()))


@router.post("/start", response_class=HTMLResponse)
async def start(request: Request, page: CandidatePageDep, db: DbDep, clock: ClockDep) -> Response:
    """The candidate has read the instructions: their clock starts now."""
    await cookies.signed_form(request, page.csrf)
    lifecycle.start(db, lifecycle.relock(db, page.attempt), clock.now())
    return _see("/exam/q/1")


@router.get("/sw.js")
def service_worker() -> Response:
    """The exam page's service worker (see app/sittings/offline.py)."""
    return Response(
        offline.worker(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": offline.SCOPE},
    )


@router.get("/wait", response_class=HTMLResponse)
def wait(request: Request, found: MaybeCandidatePageDep) -> Response:
    """Where approval of admission is asked: the page reloads itself until the invigilator has
    admitted the candidate (no script needed)."""
    if found is None:
        return _see("/exam")
    if found.attempt.admitted_at is not None:
        return _see("/exam/start")
    return render(request, "candidate/wait.html", {"attempt": found.attempt})


@router.get("/q/{position}", response_class=HTMLResponse)
def question(
    position: Position, request: Request, page: CandidatePageDep, db: DbDep, clock: ClockDep
) -> Response:
    attempt = page.attempt
    if attempt.status == AttemptStatus.NOT_STARTED:
        return _see("/exam/start")
    context = _context(db, page, clock.now())
    questions = context["view"].questions
    if not 1 <= position <= len(questions):
        return _see("/exam/q/1")
    context.update(question=questions[position - 1], position=position, total=len(questions))
    return _exam_page(request, "candidate/question.html", page, context)


@router.post("/q/{position}", response_class=HTMLResponse)
async def answer(
    position: Position, request: Request, page: AnyCandidatePageDep, db: DbDep, clock: ClockDep
) -> Response:
    """The plain-form path: save the choice and the flag, then go where the button said."""
    form = await cookies.signed_form(request, page.csrf)
    now = clock.now()
    locked = lifecycle.relock(db, page.attempt)
    if locked.status == AttemptStatus.IN_PROGRESS:
        option = form.get("option") or None
        if option is not None:
            seq = service.next_seq(db, locked, position)
            lifecycle.save(db, locked, now, position=position, option_id=option, seq=seq)
        lifecycle.flag(db, locked, now, position=position, flagged=form.get("flagged") == "on")
    go = form.get("go", "next")
    if go == "review":
        return _see("/exam/review")
    target = position - 1 if go == "previous" else position + 1
    return _see(f"/exam/q/{target}" if target >= 1 else "/exam/q/1")


@router.get("/media/{sha256}")
def picture(sha256: str, page: AnyCandidatePageDep, db: DbDep) -> Response:
    """A picture on the signed-in candidate's own paper; nothing else, to no one else."""
    content_type, data = service.picture(db, page.attempt, sha256)
    return Response(
        data,
        media_type=content_type,
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, page: CandidatePageDep, db: DbDep, clock: ClockDep) -> Response:
    if page.attempt.status == AttemptStatus.NOT_STARTED:
        return _see("/exam/start")
    return _exam_page(request, "candidate/review.html", page, _context(db, page, clock.now()))


@router.get("/submit", response_class=HTMLResponse)
def confirm(request: Request, page: CandidatePageDep, db: DbDep, clock: ClockDep) -> Response:
    return render(request, "candidate/confirm.html", _context(db, page, clock.now()))


@router.post("/submit", response_class=HTMLResponse)
async def submit(
    request: Request, page: AnyCandidatePageDep, db: DbDep, clock: ClockDep
) -> Response:
    await cookies.signed_form(request, page.csrf)
    lifecycle.submit(db, lifecycle.relock(db, page.attempt), clock.now())
    return _see("/exam/done")


@router.get("/done", response_class=HTMLResponse)
def done(request: Request, page: FinishedCandidatePageDep, db: DbDep, clock: ClockDep) -> Response:
    return render(request, "candidate/done.html", _context(db, page, clock.now()))


@router.post("/break", response_class=HTMLResponse)
async def start_break(
    request: Request, page: CandidatePageDep, db: DbDep, clock: ClockDep
) -> Response:
    """A supervised rest break, for a candidate with that access arrangement."""
    form = await cookies.signed_form(request, page.csrf)
    service.start_break(db, lifecycle.relock(db, page.attempt), clock.now())
    return _see(_back(form))


@router.post("/break/end", response_class=HTMLResponse)
async def end_break(
    request: Request, page: CandidatePageDep, db: DbDep, clock: ClockDep
) -> Response:
    form = await cookies.signed_form(request, page.csrf)
    lifecycle.end_break(db, lifecycle.relock(db, page.attempt), clock.now(), actor="candidate")
    return _see(_back(form))


@router.post("/preferences", response_class=HTMLResponse)
async def preferences(request: Request, page: AnyCandidatePageDep, db: DbDep) -> Response:
    form = await cookies.signed_form(request, page.csrf)
    service.set_display(
        db, page.attempt, form.get("text_size", "100"), form.get("scheme", "default")
    )
    return _see(_back(form))


def _back(form: dict[str, str]) -> str:
    """Where a form came from: one of the exam's own pages, never elsewhere."""
    back = form.get("back", "/exam/start")
    return back if back.startswith("/exam/") and "//" not in back else "/exam/start"

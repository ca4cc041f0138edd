"""The signed-in candidate: a signed cookie bound to one attempt on one device."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.auth import cookies
from app.config import Settings
from app.deps import Call, ClockDep, DbDep, SettingsDep, call_of
from app.errors import AppError, Forbidden, Unauthorized
from app.sittings import devices, lifecycle, service, tickets
from app.sittings.models import Attempt
from app.sittings.status import AttemptStatus
from app.web import Redirect

#: Sent by the service worker when it keeps a page for offline use (static/js/exam-sw.js): not
#: the exam page reporting, so not presence (it may land after the tab has closed).
WARM_HEADER = "x-examhall-warm"


def ticket_of(request: Request, settings: Settings) -> tickets.Ticket:
    """The signed-in candidate's ticket, with its CSRF token checked; 401 or 403 otherwise."""
    ticket = tickets.read(request, settings)
    if ticket is None:
        if cookies.read(request, settings, cookies.STAFF) or request.headers.get("authorization"):
            # Another kind of caller (a valid bearer token is checked by the awarding body's
            # routes; any credential here is the wrong kind): 403, not 401.
            raise Forbidden("This route is for a candidate signed in to their exam.")
        raise Unauthorized("Sign in with your candidate number and access code first.")
    if not cookies.csrf_ok(request, ticket.csrf):
        raise Forbidden("The X-CSRF-Token header is missing or wrong.")
    return ticket


async def candidate_ticket(request: Request, settings: SettingsDep) -> tickets.Ticket:
    return ticket_of(request, settings)


TicketDep = Annotated[tickets.Ticket, Depends(candidate_ticket)]


@dataclass(frozen=True, slots=True)
class CandidateCall:
    """A candidate's request on a hot path (save, flag, paper, clock): the ticket, and the
    app's clock and database, resolved as one dependency (see app.deps.Call)."""

    ticket: tickets.Ticket
    call: Call


async def candidate_call(request: Request) -> CandidateCall:
    call = call_of(request)
    return CandidateCall(ticket_of(request, call.settings), call)


CandidateDep = Annotated[CandidateCall, Depends(candidate_call)]


def current_attempt(ticket: TicketDep, db: DbDep, clock: ClockDep) -> Attempt:
    return service.load(db, ticket, clock.now())


def locked_attempt(ticket: TicketDep, db: DbDep, clock: ClockDep) -> lifecycle.Locked:
    """For every change (save, flag, submit): the attempt's row is locked before its state is
    read, and stays locked until the request's transaction ends."""
    return lifecycle.Locked(service.load(db, ticket, clock.now(), lock=True))


AttemptDep = Annotated[Attempt, Depends(current_attempt)]
LockedAttemptDep = Annotated[lifecycle.Locked, Depends(locked_attempt)]


@dataclass(frozen=True)
class CandidatePage:
    """The candidate behind an exam page: their attempt (settled against the clock; its page
    has reported) and the CSRF token its forms carry."""

    attempt: Attempt
    csrf: str


def signed_in_page(
    request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> CandidatePage | None:
    """The signed-in candidate, or None; a page load is the exam page reporting."""
    ticket = tickets.read(request, settings)
    if ticket is None:
        return None
    now = clock.now()
    try:
        attempt = service.load(db, ticket, now)
    except devices.MovedElsewhere:
        raise Redirect("/exam?moved=1") from None
    except AppError:
        return None
    if WARM_HEADER not in request.headers:
        devices.page_seen(attempt, ticket.device_hash, now)
    return CandidatePage(attempt, ticket.csrf)


MaybeCandidatePageDep = Annotated[CandidatePage | None, Depends(signed_in_page)]


def _page(*, submitted: bool | None) -> Callable[[CandidatePage | None], CandidatePage]:
    """A page for a signed-in candidate whose paper is (not) submitted (None: either);
    anyone else is sent to the page that suits them."""

    def dependency(found: MaybeCandidatePageDep) -> CandidatePage:
        if found is None:
            raise Redirect("/exam")
        attempt = found.attempt
        if attempt.admitted_at is None and attempt.status == AttemptStatus.NOT_STARTED:
            raise Redirect("/exam/wait")
        if submitted is not None and (attempt.status == AttemptStatus.SUBMITTED) != submitted:
            raise Redirect("/exam/review" if submitted else "/exam/done")
        return found

    return dependency


CandidatePageDep = Annotated[CandidatePage, Depends(_page(submitted=False))]
"""An exam page for a paper not yet submitted."""
AnyCandidatePageDep = Annotated[CandidatePage, Depends(_page(submitted=None))]
FinishedCandidatePageDep = Annotated[CandidatePage, Depends(_page(submitted=True))]

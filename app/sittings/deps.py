"""The signed-in candidate: a signed cookie bound to one attempt on one device."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth import cookies
from app.deps import ClockDep, DbDep, SettingsDep
from app.errors import Forbidden, Unauthorized
from app.sittings import lifecycle, service, tickets
from app.sittings.models import Attempt


async def candidate_ticket(request: Request, settings: SettingsDep) -> tickets.Ticket:
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


TicketDep = Annotated[tickets.Ticket, Depends(candidate_ticket)]


def current_attempt(ticket: TicketDep, db: DbDep, clock: ClockDep) -> Attempt:
    return service.load(db, ticket, clock.now())


def locked_attempt(ticket: TicketDep, db: DbDep, clock: ClockDep) -> lifecycle.Locked:
    """For every change (save, flag, submit): the attempt's row is locked before its state is
    read, and stays locked until the request's transaction ends."""
    return lifecycle.Locked(service.load(db, ticket, clock.now(), lock=True))


AttemptDep = Annotated[Attempt, Depends(current_attempt)]
LockedAttemptDep = Annotated[lifecycle.Locked, Depends(locked_attempt)]

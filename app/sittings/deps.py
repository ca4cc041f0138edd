"""The signed-in candidate: a signed cookie bound to one attempt."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth import cookies
from app.deps import ClockDep, DbDep, SettingsDep
from app.errors import Forbidden, Unauthorized
from app.sittings import service
from app.sittings.models import Attempt


async def candidate_attempt_id(request: Request, settings: SettingsDep) -> int:
    payload = cookies.read(request, settings, cookies.CANDIDATE)
    if payload is None or not isinstance(payload.get("attempt"), int):
        raise Unauthorized("Sign in with your candidate number and access code first.")
    if not cookies.csrf_ok(request, payload):
        raise Forbidden("The X-CSRF-Token header is missing or wrong.")
    return int(payload["attempt"])


AttemptIdDep = Annotated[int, Depends(candidate_attempt_id)]


def current_attempt(attempt_id: AttemptIdDep, db: DbDep, clock: ClockDep) -> Attempt:
    return service.load(db, attempt_id, clock.now())


def locked_attempt(attempt_id: AttemptIdDep, db: DbDep, clock: ClockDep) -> Attempt:
    """For submitting: the attempt's row stays locked until the request's transaction ends."""
    return service.load(db, attempt_id, clock.now(), lock=True)


AttemptDep = Annotated[Attempt, Depends(current_attempt)]
LockedAttemptDep = Annotated[Attempt, Depends(locked_attempt)]

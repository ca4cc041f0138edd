"""Who is calling: awarding-body bearer tokens and invigilators' cookie sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.auth import cookies, tokens
from app.auth.models import ApiToken
from app.auth.service import staff_account
from app.deps import ClockDep, DbDep, SettingsDep
from app.errors import Forbidden, Unauthorized
from app.web import Redirect


class BearerRequired(Unauthorized):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers["WWW-Authenticate"] = 'Bearer realm="examhall"'


def _bearer_value(request: Request) -> str:
    kind, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if kind.lower() == "bearer" else ""


def _bearer(request: Request, db: Session, now: datetime) -> ApiToken | None:
    """The active token the request carries, if any."""
    value = _bearer_value(request)
    return tokens.authenticate(db, value, now) if value else None


def require_scope(scope: str) -> Callable[..., ApiToken]:
    """A dependency: the request carries an active bearer token that grants `scope`."""

    def dependency(request: Request, db: DbDep, clock: ClockDep, settings: SettingsDep) -> ApiToken:
        value = _bearer_value(request)
        if not value:
            if cookies.read(request, settings, cookies.STAFF) or cookies.read(
                request, settings, cookies.CANDIDATE
            ):
                # Signed in, but as an invigilator or a candidate: not allowed, as the
                # contract says (403), rather than not authenticated.
                raise Forbidden("This route is for the awarding body's bearer tokens.")
            raise BearerRequired("An awarding-body bearer token is required.")
        token = tokens.authenticate(db, value, clock.now())
        if token is None:
            raise BearerRequired("The bearer token is not valid or has been revoked.")
        if not tokens.grants(token.scope_set, scope):
            raise Forbidden(f"This token lacks the {scope!r} scope.")
        return token

    return dependency


AdminToken = Annotated[ApiToken, Depends(require_scope(tokens.ADMIN))]
ResultsToken = Annotated[ApiToken, Depends(require_scope(tokens.RESULTS_READ))]


@dataclass(frozen=True)
class StaffUser:
    invigilator_id: int
    centre_id: int
    centre_code: str
    username: str


def current_staff(request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep) -> StaffUser:
    payload = cookies.read(request, settings, cookies.STAFF)
    if payload is None:
        # Authenticated as someone else: 403, as the contract says; otherwise 401.
        if cookies.read(request, settings, cookies.CANDIDATE) is not None:
            raise Forbidden("Candidates cannot use the invigilator's routes.")
        if _bearer(request, db, clock.now()) is not None:
            raise Forbidden("This route is for an invigilator signed in at their centre.")
        raise Unauthorized("Sign in as an invigilator first.")
    if not cookies.csrf_ok(request, str(payload.get("csrf", ""))):
        raise Forbidden("The X-CSRF-Token header is missing or wrong.")
    account = staff_account(db, payload)
    if account is None:
        raise Unauthorized("This sign-in has ended (signed out, or the account is gone).")
    return StaffUser(account.id, account.centre_id, account.centre.code, account.username)


StaffDep = Annotated[StaffUser, Depends(current_staff)]


@dataclass(frozen=True)
class StaffPage:
    """The invigilator behind a page, and the CSRF token its forms carry."""

    staff: StaffUser
    csrf: str


def staff_page(request: Request, db: DbDep, settings: SettingsDep) -> StaffPage:
    """A page for a signed-in invigilator; anyone else is sent to the sign-in page."""
    payload = cookies.read(request, settings, cookies.STAFF)
    account = staff_account(db, payload)  # gone, or signed out since: the sign-in page
    if payload is None or account is None:
        raise Redirect("/invigilate")
    staff = StaffUser(account.id, account.centre_id, account.centre.code, account.username)
    return StaffPage(staff, str(payload.get("csrf", "")))


StaffPageDep = Annotated[StaffPage, Depends(staff_page)]


def bearer_or_staff(
    request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep
) -> ApiToken | StaffUser:
    """The awarding body (an admin bearer token) when the request carries one, else the
    signed-in invigilator: for the routes both may call, each seeing what is theirs."""
    if _bearer_value(request):
        return require_scope(tokens.ADMIN)(request, db, clock, settings)
    return current_staff(request, db, settings, clock)


BearerOrStaffDep = Annotated[ApiToken | StaffUser, Depends(bearer_or_staff)]

"""Who is using the console: a staff account signed in with the console's own cookie.

Pages redirect to the sign-in; an action the role does not allow is a 403 page. A posted form
must carry the session's CSRF token (cookies.signed_form). A sign-in ends after
`console_idle_minutes` without a request (the cookie's signature is renewed, at most once a
minute, by every request: `Renewing` puts it on the response) and after
`staff_session_minutes` from signing in whatever is done."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from app.auth import cookies
from app.config import Settings
from app.deps import DbDep, SettingsDep
from app.errors import Forbidden
from app.staff import service as staff
from app.staff.roles import ROLE_LABELS, Permission, allows
from app.web import Redirect


@dataclass(frozen=True)
class ConsoleUser:
    id: int
    username: str
    role: str
    csrf: str

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"Your role ({self.role_label}) does not allow this.")

    def actor(self) -> str:
        return f"staff:{self.username}"


RENEW_AFTER = 60  # seconds: a request renews the sign-in's signature at most this often


def seconds_left(settings: Settings, stamped: tuple[dict[str, Any], float]) -> float:
    """How long the sign-in holds without another request: the idle time left, or the time
    left of its whole length if that ends first. The signature's age is the time since the last
    request; `iat` the sign-in's."""
    payload, signed_at = stamped
    now = time.time()
    started = float(payload.get("iat", signed_at))
    return min(
        settings.console_idle_minutes * 60 - (now - signed_at),
        settings.staff_session_minutes * 60 - (now - started),
    )


def session_state(settings: Settings, stamped: tuple[dict[str, Any], float] | None) -> str:
    """'none' (no sign-in), 'idle' (too long without a request), 'expired' (past its whole
    length) or 'live'."""
    if stamped is None:
        return "none"
    if seconds_left(settings, stamped) >= 0:
        return "live"
    payload, signed_at = stamped
    started = float(payload.get("iat", signed_at))
    over = time.time() - started > settings.staff_session_minutes * 60
    return "expired" if over else "idle"


class Account(Protocol):
    """What the console reads of a staff account (it does not handle ORM models)."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...


def live_account(
    db: DbDep, settings: Settings, stamped: tuple[dict[str, Any], float] | None
) -> Account | None:
    """The account of a live console sign-in: within its idle time and its whole length, the
    account active, and not signed out since the cookie was issued (its epoch)."""
    if stamped is None or session_state(settings, stamped) != "live":
        return None
    return staff.signed_in(db, stamped[0])


def console_user(request: Request, db: DbDep, settings: SettingsDep) -> ConsoleUser:
    stamped = cookies.read_stamped(request, settings, cookies.CONSOLE)
    account = live_account(db, settings, stamped)
    if stamped is None or account is None:
        state = session_state(settings, stamped)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        ended = f"&ended={state}" if state in ("idle", "expired") else ""
        raise Redirect("/console/sign-in?next=" + quote(target, safe="") + ended)
    payload, signed_at = stamped
    if time.time() - signed_at >= RENEW_AFTER:
        payload.setdefault("iat", int(signed_at))  # a cookie from before idle timeouts
        request.state.console_renewed = cookies.signed(settings, cookies.CONSOLE, payload)
    return ConsoleUser(account.id, account.username, account.role, str(payload.get("csrf", "")))


class Renewing(APIRoute):
    """The console's routes: a response carries the renewed sign-in, unless it sets or clears
    the console cookie itself (signing in, signing out)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def renewing(request: Request) -> Response:
            response = await handler(request)
            renewed = getattr(request.state, "console_renewed", None)
            own = f"{cookies.CONSOLE.name}=".encode()
            sets = any(k == b"set-cookie" and v.startswith(own) for k, v in response.headers.raw)
            if renewed and not sets:
                cookies.put(response, request.app.state.settings, cookies.CONSOLE, renewed)
            return response

        return renewing


ConsoleDep = Annotated[ConsoleUser, Depends(console_user)]


def see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def base_context(user: ConsoleUser, section: str, **extra: Any) -> dict[str, Any]:
    """What every console page's layout needs: the user, their token and the current section."""
    return {"user": user, "csrf": user.csrf, "section": section, **extra}

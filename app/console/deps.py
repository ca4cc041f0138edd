"""Who is using the console: a staff account signed in with the console's own cookie.

Pages redirect to the sign-in; an action the role does not allow is a 403 page. A posted form
must carry the session's CSRF token (cookies.signed_form)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from app.auth import cookies
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


def console_user(request: Request, db: DbDep, settings: SettingsDep) -> ConsoleUser:
    payload = cookies.read(request, settings, cookies.CONSOLE)
    account = staff.get_active(db, int(payload.get("sub", 0))) if payload else None
    if payload is None or account is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise Redirect("/console/sign-in?next=" + quote(target, safe=""))
    return ConsoleUser(account.id, account.username, account.role, str(payload.get("csrf", "")))


ConsoleDep = Annotated[ConsoleUser, Depends(console_user)]


def see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def base_context(user: ConsoleUser, section: str, **extra: Any) -> dict[str, Any]:
    """What every console page's layout needs: the user, their token and the current section."""
    return {"user": user, "csrf": user.csrf, "section": section, **extra}

"""Signing in to the console, signing out, and the home page."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.auth import cookies
from app.console.deps import ConsoleDep, Renewing, base_context, live_account, seconds_left, see
from app.deps import AddressDep, ClockDep, DbDep, SettingsDep
from app.errors import AppError, Unauthorized
from app.sittings import listing
from app.staff import service as staff
from app.web import render

router = APIRouter(route_class=Renewing)


def _safe_next(target: str) -> str:
    """Only a path inside the console: never another site (an open redirect)."""
    ok = target.startswith("/console") and not target.startswith("//") and "\\" not in target
    return target if ok else "/console"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, settings: SettingsDep, db: DbDep) -> Response:
    next_path = _safe_next(request.query_params.get("next", ""))
    stamped = cookies.read_stamped(request, settings, cookies.CONSOLE)
    # Only a sign-in whose account still works goes on: a disabled one's cookie sent the
    # browser between here and the page it asked for until it gave up.
    if live_account(db, settings, stamped) is not None:
        return see(next_path)
    ended = request.query_params.get("ended", "")
    ended = ended if ended in ("idle", "expired") else ""
    context: dict[str, Any] = {"error": None, "values": {}, "next": next_path, "ended": ended}
    return render(request, "console/sign_in.html", context)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request, db: DbDep, settings: SettingsDep, clock: ClockDep, address: AddressDep
) -> Response:
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    next_path = _safe_next(form.get("next", ""))
    try:
        account = staff.login(
            db,
            settings,
            clock.now(),
            username=form.get("username", ""),
            password=form.get("password", ""),
            address=address,
        )
    except AppError as exc:
        # Answered, not raised: the transaction commits, so the failure counts towards throttling.
        context = {
            "error": exc.detail,
            "values": {"username": form.get("username", "")},
            "next": next_path,
            "ended": False,
        }
        return render(
            request, "console/sign_in.html", context, status_code=exc.status, headers=exc.headers
        )
    response = see(next_path)
    payload = {
        "sub": account.id,
        "csrf": cookies.new_csrf_token(),
        "iat": int(time.time()),
        "epoch": account.session_epoch,
    }
    cookies.issue(response, settings, cookies.CONSOLE, payload)
    return response


@router.get("/session")
def session_left(request: Request, settings: SettingsDep, db: DbDep) -> Response:
    """How many seconds the sign-in holds without another request; read without renewing it
    (the page asks before it warns, or says the sign-in has ended: another tab may have used
    it meanwhile, or signed out). 401 when there is none."""
    stamped = cookies.read_stamped(request, settings, cookies.CONSOLE)
    if stamped is None or live_account(db, settings, stamped) is None:
        raise Unauthorized("Not signed in to the console.")
    left = seconds_left(settings, stamped)
    return JSONResponse({"seconds_left": int(left)}, headers={"Cache-Control": "no-store"})


@router.post("/alive")
async def alive(request: Request, user: ConsoleDep, settings: SettingsDep) -> Response:
    """Still here: the page's own activity (typing, clicking) or its 'Stay signed in' button
    renews the sign-in (as every request does), so a long form is not lost to the idle timeout."""
    await cookies.signed_form(request, user.csrf)
    return Response(status_code=204)


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(
    request: Request, user: ConsoleDep, settings: SettingsDep, db: DbDep
) -> Response:
    """Ends the sign-in on the server, not only in this browser: every cookie of the account
    (other tabs and devices, a copy, a renewal still in flight) stops working at once."""
    await cookies.signed_form(request, user.csrf)
    staff.end_sign_ins(db, user.id)
    response = see("/console/sign-in")
    cookies.clear(response, settings, cookies.CONSOLE)
    return response


def home(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    upcoming = listing.find(db, status="scheduled", limit=5)
    running = listing.find(db, status="open", limit=20)
    return render(
        request, "console/home.html", base_context(user, "home", upcoming=upcoming, running=running)
    )

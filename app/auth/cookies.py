"""Signed, expiring cookie sessions (itsdangerous), one salt and max age per purpose.

The cookie carries who the caller is and the CSRF token; a bad or old signature reads as no
session at all (401), never as an error.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, SignatureExpired

from app.config import Settings
from app.web import serializer


@dataclass(frozen=True)
class CookiePurpose:
    name: str  # cookie name, and the serializer's salt
    max_age_setting: str  # the Settings field that holds its lifetime in minutes


STAFF = CookiePurpose("examhall_staff", "staff_session_minutes")
CANDIDATE = CookiePurpose("examhall_candidate", "candidate_session_minutes")
# The awarding body's staff in the console: their own cookie, so that an invigilator's session
# never reads as a staff one (and the reverse), even in the same browser.
CONSOLE = CookiePurpose("examhall_console", "staff_session_minutes")


def _max_age(settings: Settings, purpose: CookiePurpose) -> int:
    return int(getattr(settings, purpose.max_age_setting)) * 60


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def issue(
    response: Response, settings: Settings, purpose: CookiePurpose, payload: dict[str, Any]
) -> None:
    put(response, settings, purpose, signed(settings, purpose, payload))


def put(response: Response, settings: Settings, purpose: CookiePurpose, value: str) -> None:
    """Set the purpose's cookie to a value already signed, with the purpose's attributes."""
    set_cookie(response, purpose.name, value, _max_age(settings, purpose), secure=settings.https)


# Characters that http.cookies writes as they are, unquoted: itsdangerous' URL-safe values and
# the device ids are made of nothing else.
_PLAIN = re.compile(r"[A-Za-z0-9._-]+")


@lru_cache(maxsize=16)
def _attributes(max_age: int, secure: bool) -> bytes:
    """'; HttpOnly; Max-Age=…; Path=/; SameSite=lax' (and Secure): rendered by starlette's own
    set_cookie (http.cookies), once for each lifetime."""
    probe = Response()
    probe.set_cookie(
        "n", "v", max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )
    header = probe.headers["set-cookie"]
    assert header.startswith("n=v;")
    return header[len("n=v") :].encode("latin-1")


def set_cookie(response: Response, name: str, value: str, max_age: int, *, secure: bool) -> None:
    """What `response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
    secure=secure, path="/")` sets, byte for byte, without building a SimpleCookie for each:
    a sign-in sets two, and each cost half as much as signing one. A value http.cookies would
    quote is left to set_cookie itself."""
    if not _PLAIN.fullmatch(value):
        response.set_cookie(
            name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
        )
        return
    header = f"{name}={value}".encode("latin-1") + _attributes(max_age, secure)
    response.raw_headers.append((b"set-cookie", header))


def signed(settings: Settings, purpose: CookiePurpose, payload: dict[str, Any]) -> str:
    """The cookie's value: the payload signed now."""
    return str(serializer(settings.secret_key.get_secret_value(), purpose.name).dumps(payload))


def clear(response: Response, settings: Settings, purpose: CookiePurpose) -> None:
    response.delete_cookie(
        purpose.name, path="/", httponly=True, samesite="lax", secure=settings.https
    )


# Cookies already verified: (secret, purpose, value) -> (payload, signed at). A candidate's
# page sends the same cookie every 10 s for hours; its signature and JSON are checked once,
# its age every time. Bounded: emptied when full (it refills as pages report).
_verified: dict[tuple[str, str, str], tuple[dict[str, Any], float]] = {}
VERIFIED_MAX = 50_000


def read(request: Request, settings: Settings, purpose: CookiePurpose) -> dict[str, Any] | None:
    stamped = read_stamped(request, settings, purpose)
    return stamped[0] if stamped else None


def read_stamped(
    request: Request, settings: Settings, purpose: CookiePurpose
) -> tuple[dict[str, Any], float] | None:
    """The cookie's payload and when it was signed (epoch seconds), or None."""
    raw = request.cookies.get(purpose.name)
    if not raw:
        return None
    secret = settings.secret_key.get_secret_value()
    max_age = _max_age(settings, purpose)
    key = (secret, purpose.name, raw)
    hit = _verified.get(key)
    if hit is not None:
        payload, signed_at = hit
        return (dict(payload), signed_at) if time.time() - signed_at <= max_age else None
    try:
        loaded, stamp = serializer(secret, purpose.name).loads(
            raw, max_age=max_age, return_timestamp=True
        )
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(loaded, dict):
        return None
    if len(_verified) >= VERIFIED_MAX:
        _verified.clear()
    _verified[key] = (loaded, stamp.timestamp())
    return dict(loaded), stamp.timestamp()


def _same_token(sent: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def csrf_ok(request: Request, expected: str) -> bool:
    """The CSRF rule: a cookie-authenticated unsafe request carries the session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    return _same_token(request.headers.get("x-csrf-token") or "", expected)


async def signed_form(request: Request, csrf: str) -> dict[str, str]:
    """A posted HTML form, refused unless it carries the session's CSRF token (field csrf_token)."""
    from app.errors import Forbidden  # local: errors renders pages through web, which we avoid

    form = await request.form()
    if not _same_token(str(form.get("csrf_token", "")), csrf):
        raise Forbidden("This form has expired. Go back, reload the page and try again.")
    return {k: str(v).strip() for k, v in form.items()}

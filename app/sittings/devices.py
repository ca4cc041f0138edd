"""One device at a time: who may open a paper that is already under way.

A paper is held by the device it was last opened on: a random id in a long-lived cookie, of
which only the hash is stored. Another device may take the paper over when the holder's exam
page has stopped reporting (a crashed computer or a closed browser frees it). While the page is
still reporting, the sign-in is refused and the register shows it; the invigilator may then
re-admit the candidate, which gives the paper to the refused device (or, if none was refused,
to the candidate's next sign-in). Re-admitting, or taking over from a page or through the
exam's own sign-in form, raises the attempt's admission number: the old device's sign-in stops
working at once.

Presence is the exam page's own signal: its page loads and its clock heartbeat, which carries
the PAGE_HEADER. A script driving the JSON API reports no page and signs in through the JSON
route, so two such clients can sign the same candidate in side by side, as issue #5 promised.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from fastapi import Request, Response

from app.auth import cookies
from app.config import Settings
from app.errors import Conflict, Unauthorized
from app.sittings import status
from app.sittings.models import Attempt

COOKIE = "examhall_device"
COOKIE_MAX_AGE = 365 * 24 * 3600
PAGE_HEADER = "x-examhall-page"  # sent by exam.js with its heartbeat
# The page reports every 10 s; silence longer than this is a disconnection.
DISCONNECTED_AFTER = timedelta(seconds=45)
# Presence is written only when the stored time is this old: every other heartbeat, not every
# one (10,000 open pages would otherwise be 1,000 writes a second before any answer). It still
# changes every decision in time: a reporting page's stored time is never more than 20 s old,
# well inside DISCONNECTED_AFTER; the register's "last seen" and a reconnection's lost time are
# exact to within these 20 s.
SEEN_EVERY = timedelta(seconds=20)
UNDER_WAY = status.UNDER_WAY
_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")


class Held(Protocol):
    """What presence and admission read of an attempt: an Attempt or the heartbeat's row."""

    @property
    def device_hash(self) -> str | None: ...
    @property
    def page_seen_at(self) -> datetime | None: ...
    @property
    def admission(self) -> int: ...


class OpenElsewhere(Conflict):
    code = "open-on-another-device"
    commit = True  # keep the journal entry and the register's warning


class MovedElsewhere(Unauthorized):
    code = "signed-in-elsewhere"


def device_id(request: Request) -> str:
    """This browser's device id, or a new one (set it with `remember`)."""
    raw = request.cookies.get(COOKIE, "")
    return raw if _ID.fullmatch(raw) else secrets.token_urlsafe(24)


def cookie_header(settings: Settings, device: str) -> str:
    """The Set-Cookie value for a response built elsewhere (an error's)."""
    response = Response()
    remember(response, settings, device)
    return response.headers["set-cookie"]


def remember(response: Response, settings: Settings, device: str) -> None:
    cookies.set_cookie(response, COOKIE, device, COOKIE_MAX_AGE, secure=settings.https)


def digest(device: str) -> str:
    return hashlib.sha256(device.encode()).hexdigest()


def fingerprint(device_hash: str | None) -> str | None:
    """A short, stable name for a device in the journal and on the register."""
    return device_hash[:12] if device_hash else None


def page_open(attempt: Attempt, now: datetime) -> bool:
    """The holder's exam page reported recently, so the paper is in use on that device."""
    seen = attempt.page_seen_at
    held = attempt.status in UNDER_WAY or attempt.reading_until is not None  # or reading
    return held and seen is not None and now - seen <= DISCONNECTED_AFTER


def claim(attempt: Attempt, device_hash: str, now: datetime, *, exclusive: bool) -> str | None:
    """Give the paper to this device at sign-in; the previous holder's hash when it moved.
    `exclusive`: the sign-in came through the exam's own form, so the device it replaces is
    signed out even if its page never reported."""
    held = attempt.device_hash
    if attempt.status not in (*UNDER_WAY, status.AttemptStatus.NOT_STARTED):
        return None  # a submitted paper is only shown, never held
    if held is None or held == device_hash:
        attempt.device_hash, attempt.readmitted_at = device_hash, None
        return None
    if page_open(attempt, now) or attempt.readmitted_at is not None:
        # In use, or kept by a re-admission for the device the candidate moved to.
        attempt.refused_sign_in_at, attempt.refused_device_hash = now, device_hash
        raise OpenElsewhere(
            "Your exam is open on another computer. If you have moved to this one, "
            "ask your invigilator to re-admit you here."
        )
    if exclusive or attempt.page_seen_at is not None:
        attempt.admission += 1
    attempt.device_hash, attempt.page_seen_at = device_hash, None
    clear_flags(attempt)
    return held


def readmit(
    attempt: Attempt, now: datetime, *, next_sign_in: bool = False
) -> tuple[str | None, str | None]:
    """Sign the holder out now and keep the paper for the device whose sign-in was refused
    (else, or with `next_sign_in`, for the candidate's next sign-in on any computer). Returns
    (released, kept for)."""
    held = attempt.device_hash
    waiting = None if next_sign_in else attempt.refused_device_hash
    attempt.admission += 1
    attempt.device_hash, attempt.page_seen_at = waiting, None
    clear_flags(attempt)
    attempt.readmitted_at = now
    return held, waiting


def clear_flags(attempt: Attempt) -> None:
    """The register's warnings end when the paper moves, or the attempt ends."""
    attempt.readmitted_at = None
    attempt.refused_sign_in_at = attempt.refused_device_hash = None


def admitted(attempt: Held, admission: int) -> None:
    """Refuse a sign-in cookie issued before the paper was moved or the candidate re-admitted."""
    if admission < attempt.admission:
        raise MovedElsewhere(
            "Your exam has moved to another computer. If that was not you, tell your "
            "invigilator now."
        )


def page_report_due(attempt: Held, device_hash: str | None, now: datetime) -> bool:
    """Whether this report from a page changes what is stored (see SEEN_EVERY)."""
    if device_hash is None or device_hash != attempt.device_hash:
        return False
    seen = attempt.page_seen_at
    return seen is None or now - seen >= SEEN_EVERY


def page_seen(attempt: Attempt, device_hash: str | None, now: datetime) -> None:
    """The holder's exam page is open (it loaded, or its clock reported)."""
    if page_report_due(attempt, device_hash, now):
        attempt.page_seen_at = now

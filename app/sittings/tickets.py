"""The candidate's sign-in cookie: which attempt, from which device, under which admission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fastapi import Request, Response

from app.auth import cookies
from app.config import Settings
from app.sittings import devices


class Signed(Protocol):
    """What a ticket names of the attempt signed in: an Attempt, or a sign-in's plain row."""

    @property
    def id(self) -> int: ...
    @property
    def admission(self) -> int: ...


@dataclass(frozen=True)
class Ticket:
    attempt_id: int
    csrf: str
    admission: int
    device_hash: str | None


def read(request: Request, settings: Settings) -> Ticket | None:
    payload = cookies.read(request, settings, cookies.CANDIDATE)
    if payload is None or not isinstance(payload.get("attempt"), int):
        return None
    admission = payload.get("admission", 0)
    device = payload.get("device")
    return Ticket(
        payload["attempt"],
        str(payload.get("csrf", "")),
        admission if isinstance(admission, int) else 0,
        device if isinstance(device, str) else None,
    )


def issue(
    response: Response, settings: Settings, attempt: Signed, device: str, *, csrf: str = ""
) -> str:
    """Sign the candidate in on this device; returns the session's CSRF token (`csrf`, or a
    new one: a response whose body carries the token makes it first)."""
    csrf = csrf or cookies.new_csrf_token()
    payload = {
        "attempt": attempt.id,
        "csrf": csrf,
        "admission": attempt.admission,
        "device": devices.digest(device),
    }
    cookies.issue(response, settings, cookies.CANDIDATE, payload)
    devices.remember(response, settings, device)
    return csrf

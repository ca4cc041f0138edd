"""The console's tests: the room of tests/sittings (a bank, two centres, candidates, a token),
and staff accounts of each role signed in through the console's own sign-in page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import MovableClock
from app.staff import service as staff
from tests.factories import PASSWORD
from tests.sittings.conftest import Room, room  # noqa: F401  (the fixture, shared)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


SignIn = Callable[[str], str]


@pytest.fixture
def console(client: TestClient, db: Session, clock: MovableClock) -> SignIn:
    """sign_in(role) -> the CSRF token of a staff account of that role, signed in."""

    def sign_in(role: str) -> str:
        username = f"{role}.user"
        staff.create(db, clock.now(), username=username, role=role, password=PASSWORD)
        db.flush()
        client.cookies.clear()
        page = client.post("/console/sign-in", data={"username": username, "password": PASSWORD})
        assert page.status_code == 200 and "Signed in as" in page.text, page.text
        return csrf_of(page.text)

    return sign_in


Later = Callable[[float], None]


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Later:
    """later(seconds): the wall clock (signatures' and the cookies' ages) moves on."""
    real = time.time
    offset = [0.0]
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])

    def move(seconds: float) -> None:
        offset[0] += seconds

    return move

"""A room ready to sit: 600/8065/6 with F/503/0358's bank, a centre, an invigilator, candidates."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth import tokens
from app.banks.service import load_dir
from app.candidates import service as candidates
from app.centres import service as centres
from app.clock import Clock, MovableClock
from tests.factories import PASSWORD, bearer

ROOT = Path(__file__).resolve().parents[2]
QUAL = ROOT / "question_banks" / "600-8065-6"
UNIT = "F/503/0358"


def load_units(
    db: Session,
    clock: Clock,
    tmp: Path,
    *files: str,
    edit: Callable[[Path], None] | None = None,
) -> None:
    """Load copies of these unit files; `edit` may change the copies (their folder) first."""
    target = tmp / "banks" / "600-8065-6"
    (target / "units").mkdir(parents=True, exist_ok=True)
    shutil.copy(QUAL / "qualification.yaml", target)
    for name in files:
        shutil.copy(QUAL / "units" / name, target / "units")
    if edit is not None:
        edit(target / "units")
    load_dir(db, tmp / "banks", clock.now())


@dataclass
class Room:
    client: TestClient
    token: str
    clock: MovableClock

    def admin(self) -> dict[str, str]:
        return bearer(self.token)

    def schedule(self, numbers: list[str], **extra: Any) -> dict[str, Any]:
        body = {
            "centre": "C0042",
            "unit": UNIT,
            "scheduled_start": "2026-06-01T09:00:00Z",
            "candidates": numbers,
            **extra,
        }
        response = self.client.post("/api/v1/sessions", json=body, headers=self.admin())
        assert response.status_code == 201, response.text
        return dict(response.json())

    def invigilate(self, centre: str = "C0042", username: str = "ann") -> str:
        response = self.client.post(
            "/api/v1/auth/invigilator",
            json={"centre": centre, "username": username, "password": PASSWORD},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["csrf_token"])

    def act(self, csrf: str, session_id: int, action: str, json: Any = None) -> Any:
        return self.client.post(
            f"/api/v1/sessions/{session_id}/{action}", json=json, headers={"X-CSRF-Token": csrf}
        )

    def open_session(self, numbers: list[str], **extra: Any) -> dict[str, Any]:
        session = self.schedule(numbers, **extra)
        csrf = self.invigilate()
        assert self.act(csrf, session["id"], "start").status_code == 200
        self.client.cookies.clear()
        return session

    def sign_in(self, number: str, code: str) -> tuple[str, int]:
        response = self.client.post(
            "/api/v1/auth/candidate", json={"candidate_number": number, "access_code": code}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["csrf_token"]), int(response.json()["attempt_id"])

    def attempt(self) -> dict[str, Any]:
        response = self.client.get("/api/v1/attempt")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def answer(self, csrf: str, position: int, option_id: str | None, seq: int) -> Any:
        return self.client.put(
            f"/api/v1/attempt/answers/{position}",
            json={"option_id": option_id, "seq": seq},
            headers={"X-CSRF-Token": csrf},
        )

    def results(self, **params: Any) -> dict[str, Any]:
        response = self.client.get("/api/v1/results", params=params, headers=self.admin())
        assert response.status_code == 200, response.text
        return dict(response.json())

    def keys(self) -> dict[str, str]:
        items = self.client.get("/api/v1/units/F-503-0358/items", headers=self.admin()).json()
        return {o["id"]: item["key"] for item in items for o in item["options"]}


@pytest.fixture
def room(client: TestClient, db: Session, clock: MovableClock, tmp_path: Path) -> Room:
    return make_room(client, db, clock, tmp_path)


def make_room(
    client: TestClient,
    db: Session,
    clock: MovableClock,
    tmp_path: Path,
    edit: Callable[[Path], None] | None = None,
) -> Room:
    """F/503/0358's bank (changed by `edit` if given), two centres, invigilators, candidates."""
    load_units(db, clock, tmp_path, "F-503-0358.yaml", edit=edit)
    _, token = tokens.create_token(db, "ab", [tokens.ADMIN], clock.now())
    centres.create_centre(db, "C0042", "Leeds", clock.now())
    centres.create_centre(db, "C0099", "York", clock.now())
    centres.create_invigilator(db, "C0042", "ann", PASSWORD, clock.now())
    centres.create_invigilator(db, "C0099", "yves", PASSWORD, clock.now())
    for n in range(1, 7):
        candidates.create_candidate(
            db,
            clock.now(),
            candidate_number=f"N{n:03d}",
            centre="C0042",
            first_name="Cand",
            last_name=f"Number{n}",
            extra_time_percent=25 if n == 6 else 0,
        )
    candidates.create_candidate(
        db, clock.now(), candidate_number="Y001", centre="C0099", first_name="Yo", last_name="York"
    )
    db.flush()
    return Room(client, token, clock)


def code(session: dict[str, Any], number: str) -> str:
    """A candidate's own access code, as scheduling the session gave it."""
    codes = {c["candidate_number"].lower(): c["access_code"] for c in session["candidates"]}
    return str(codes[number.lower()])

"""Factories for domain objects, through the services (so tests exercise the real rules)."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth import tokens
from app.centres import service as centres

PASSWORD = "correct horse battery staple"


def admin_token(db: Session, now: datetime, name: str = "awarding body") -> str:
    return tokens.create_token(db, name, [tokens.ADMIN], now)[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def centre_with_invigilator(
    db: Session, now: datetime, code: str = "C0042", username: str = "ann"
) -> None:
    if centres.find_centre(db, code) is None:
        centres.create_centre(db, code, f"Centre {code}", now)
    centres.create_invigilator(db, code, username, PASSWORD, now)
    db.flush()


def login_invigilator(client: TestClient, centre: str = "C0042", username: str = "ann") -> str:
    response = client.post(
        "/api/v1/auth/invigilator",
        json={"centre": centre, "username": username, "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])

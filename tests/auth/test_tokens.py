import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import tokens
from app.auth.models import ApiToken
from app.clock import MovableClock
from app.errors import Conflict, Invalid, NotFound
from tests.factories import bearer

CENTRE = {"code": "C1", "name": "Leeds"}


def test_a_token_is_stored_only_as_its_hash(db: Session, clock: MovableClock) -> None:
    row, plaintext = tokens.create_token(db, "ab", [tokens.ADMIN], clock.now())
    assert plaintext.startswith("eh_") and len(plaintext) > 40
    stored = db.scalar(select(ApiToken).where(ApiToken.id == row.id))
    assert stored is not None
    assert plaintext not in (stored.token_hash, stored.prefix, stored.scopes)
    assert stored.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()


def test_bad_scopes_and_duplicate_active_names_are_refused(
    db: Session, clock: MovableClock
) -> None:
    with pytest.raises(Invalid):
        tokens.create_token(db, "x", ["superuser"], clock.now())
    with pytest.raises(Invalid):
        tokens.create_token(db, "x", [], clock.now())
    tokens.create_token(db, "x", [tokens.RESULTS_READ], clock.now())
    with pytest.raises(Conflict):
        tokens.create_token(db, "x", [tokens.RESULTS_READ], clock.now())
    tokens.revoke(db, "x", clock.now())
    tokens.create_token(db, "x", [tokens.RESULTS_READ], clock.now())  # the name is free again


def test_revoking_an_unknown_token_is_not_found(db: Session, clock: MovableClock) -> None:
    with pytest.raises(NotFound):
        tokens.revoke(db, "nobody", clock.now())


def test_admin_scope_reaches_admin_routes(
    client: TestClient, db: Session, clock: MovableClock
) -> None:
    _, token = tokens.create_token(db, "admin", [tokens.ADMIN], clock.now())
    assert client.post("/api/v1/centres", json=CENTRE, headers=bearer(token)).status_code == 201


def test_results_read_scope_is_forbidden_admin_routes(
    client: TestClient, db: Session, clock: MovableClock
) -> None:
    _, token = tokens.create_token(db, "puller", [tokens.RESULTS_READ], clock.now())
    response = client.post("/api/v1/centres", json=CENTRE, headers=bearer(token))
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer eh_not-a-real-token", "Basic dXNlcjpwYXNz"]
)
def test_missing_or_unknown_tokens_are_401(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/centres", json=CENTRE, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working(
    client: TestClient, db: Session, clock: MovableClock
) -> None:
    _, token = tokens.create_token(db, "old", [tokens.ADMIN], clock.now())
    tokens.revoke(db, "old", clock.now())
    assert client.post("/api/v1/centres", json=CENTRE, headers=bearer(token)).status_code == 401


def test_using_a_token_records_when(client: TestClient, db: Session, clock: MovableClock) -> None:
    row, token = tokens.create_token(db, "used", [tokens.ADMIN], clock.now())
    clock.advance(minutes=5)
    client.post("/api/v1/centres", json=CENTRE, headers=bearer(token))
    db.refresh(row)
    assert row.last_used_at == clock.now()

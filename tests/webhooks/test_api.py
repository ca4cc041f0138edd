"""POST/GET/DELETE /api/v1/webhooks: admin only, secrets shown once, private URLs refused."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import tokens
from app.clock import MovableClock
from app.main import create_app
from app.webhooks.models import Webhook
from tests.conftest import make_settings
from tests.factories import bearer
from tests.sittings.conftest import Room

URL = "http://127.0.0.1:9/hooks"


def test_register_list_delete(room: Room, db: Session) -> None:
    created = room.client.post(
        "/api/v1/webhooks",
        json={"url": URL, "events": ["result.corrected", "result.recorded"]},
        headers=room.admin(),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == URL and body["events"] == ["result.recorded", "result.corrected"]
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) == 32
    stored = db.scalar(select(Webhook).where(Webhook.id == body["id"]))
    assert stored is not None and body["secret"] not in stored.secret  # sealed, not plain

    listed = room.client.get("/api/v1/webhooks", headers=room.admin()).json()
    assert [h["id"] for h in listed] == [body["id"]] and "secret" not in listed[0]

    gone = room.client.delete(f"/api/v1/webhooks/{body['id']}", headers=room.admin())
    assert gone.status_code == 204 and gone.content == b""
    assert room.client.get("/api/v1/webhooks", headers=room.admin()).json() == []
    again = room.client.delete(f"/api/v1/webhooks/{body['id']}", headers=room.admin())
    assert again.status_code == 404
    assert again.headers["content-type"].startswith("application/problem+json")


def test_bad_bodies_are_422_problems(room: Room) -> None:
    for body in (
        {"url": URL, "events": []},
        {"url": URL, "events": ["result.deleted"]},
        {"url": URL, "events": ["result.recorded", "result.recorded"]},
        {"url": "ftp://example.org/x", "events": ["result.recorded"]},
        {"url": URL},
        {"url": URL, "events": ["result.recorded"], "extra": 1},
        {"url": "http://[::1/x", "events": ["result.recorded"]},  # was a 500
        {"url": "http://[::zz]/", "events": ["result.recorded"]},  # was a 500
        {"url": URL + "\r\nX-Evil: 1", "events": ["result.recorded"]},
    ):
        response = room.client.post("/api/v1/webhooks", json=body, headers=room.admin())
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
    assert room.client.get("/api/v1/webhooks", headers=room.admin()).json() == []


def test_only_admin_tokens_manage_webhooks(room: Room, db: Session) -> None:
    _, reader = tokens.create_token(db, "puller", [tokens.RESULTS_READ], room.clock.now())
    body = {"url": URL, "events": ["result.recorded"]}
    assert room.client.post("/api/v1/webhooks", json=body).status_code == 401
    assert (
        room.client.post("/api/v1/webhooks", json=body, headers=bearer(reader)).status_code == 403
    )
    assert room.client.get("/api/v1/webhooks", headers=bearer(reader)).status_code == 403
    assert room.client.delete("/api/v1/webhooks/1", headers=bearer(reader)).status_code == 403


def test_private_urls_are_refused_unless_allowed(
    room: Room, db: Session, clock: MovableClock
) -> None:
    settings = make_settings(room.client.app.state.settings.database_url)  # type: ignore[attr-defined]
    assert settings.webhook_allow_private is False
    app = create_app(settings, clock=clock, engine=room.client.app.state.engine)  # type: ignore[attr-defined]
    app.state.sessionmaker = room.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with TestClient(app, raise_server_exceptions=False) as strict:
        for url in (URL, "http://localhost:8000/x", "http://[::1]/x", "http://10.1.2.3/x"):
            response = strict.post(
                "/api/v1/webhooks",
                json={"url": url, "events": ["result.recorded"]},
                headers=room.admin(),
            )
            assert response.status_code == 422, url
            problem = response.json()
            assert response.headers["content-type"].startswith("application/problem+json")
            assert problem["errors"][0]["field"] == "url"
            assert "public internet address" in problem["detail"]


def test_a_body_too_large_is_a_problem_like_any_other(room: Room) -> None:
    response = room.client.post(
        "/api/v1/webhooks",
        content=b'{"url": "' + b"x" * 2_000_000 + b'"}',
        headers={**room.admin(), "content-type": "application/json"},
    )
    assert response.status_code == 413
    problem = response.json()
    assert problem["status"] == 413 and problem["instance"] == "/api/v1/webhooks"
    assert set(problem) >= {"type", "title", "detail"}

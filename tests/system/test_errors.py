"""Every error is problem+json under /api and an HTML page elsewhere; never a stack trace."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import MovableClock
from tests.conftest import make_settings
from tests.factories import admin_token, bearer


def test_unknown_api_path_is_a_problem_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == 404


def test_unknown_page_is_an_html_404(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text and '<html lang="en-GB">' in response.text


def test_validation_error_is_422_and_names_the_field(client: TestClient, db, clock) -> None:  # type: ignore[no-untyped-def]
    token = admin_token(db, clock.now())
    response = client.post("/api/v1/centres", json={"code": "C1"}, headers=bearer(token))
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [{"field": "name", "message": "Field required"}]
    assert "name" in body["detail"]


def test_malformed_json_is_400(client: TestClient, db, clock) -> None:  # type: ignore[no-untyped-def]
    token = admin_token(db, clock.now())
    response = client.post(
        "/api/v1/centres",
        content=b'{"code": ',
        headers={**bearer(token), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["title"] == "Bad request"


def test_json_sent_as_another_media_type_is_415_and_names_it(
    client: TestClient, db: Session, clock: MovableClock
) -> None:
    """curl -d sends a form's media type: the body is never read as JSON, and the client is
    told why, not that "the input should be a valid dictionary" (a new user's trial)."""
    token = admin_token(db, clock.now())
    body = b'{"code": "C1", "name": "Leeds"}'
    for media, said in (
        ("text/plain", "Content-Type text/plain"),
        ("application/x-www-form-urlencoded", "Content-Type application/x-www-form-urlencoded"),
        (None, "no Content-Type"),
    ):
        headers = bearer(token) if media is None else {**bearer(token), "content-type": media}
        response = client.post("/api/v1/centres", content=body, headers=headers)
        assert response.status_code == 415, (media, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert said in response.json()["detail"]
    # A body left out altogether is still a 422 naming it; a +json type is JSON (and a 201:
    # none of the refused ones made the centre).
    assert client.post("/api/v1/centres", headers=bearer(token)).status_code == 422
    typed = {**bearer(token), "content-type": "application/merge-patch+json"}
    assert client.post("/api/v1/centres", content=body, headers=typed).status_code == 201


def test_wrong_method_is_405_problem(client: TestClient) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unexpected_error_is_a_500_without_a_stack_trace(engine) -> None:  # type: ignore[no-untyped-def]
    app: FastAPI = __import__("app.main", fromlist=["create_app"]).create_app(
        make_settings(str(engine.url)), clock=MovableClock(), engine=engine
    )

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: /etc/passwd")

    @app.get("/boom")
    def boom_page() -> None:
        raise RuntimeError("secret internals: /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/api/v1/boom", "/boom"):
            response = client.get(path)
            assert response.status_code == 500
            assert "secret internals" not in response.text
            assert "Traceback" not in response.text
        assert client.get("/api/v1/boom").json()["status"] == 500


def test_pages_carry_security_headers(client: TestClient) -> None:
    response = client.get("/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"

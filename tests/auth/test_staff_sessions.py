"""Signed cookie sessions, the CSRF rule and login throttling, through the invigilator login."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy.orm import Session

from app.auth import cookies
from app.clock import MovableClock
from app.config import Settings
from app.web import serializer
from tests.factories import PASSWORD, centre_with_invigilator, login_invigilator

LOGIN = "/api/v1/auth/invigilator"


@pytest.fixture
def staff(db: Session, clock: MovableClock) -> None:
    centre_with_invigilator(db, clock.now())


def attempt(client: TestClient, password: str, username: str = "ann") -> int:
    body = {"centre": "C0042", "username": username, "password": password}
    return client.post(LOGIN, json=body).status_code


def test_login_sets_an_httponly_lax_cookie_and_returns_a_csrf_token(
    client: TestClient, staff: None
) -> None:
    response = client.post(LOGIN, json={"centre": "c0042", "username": "ANN", "password": PASSWORD})
    assert response.status_code == 200
    assert len(response.json()["csrf_token"]) >= 20
    cookie = response.headers["set-cookie"]
    assert "examhall_staff=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over plain http in tests
    assert client.get(LOGIN).json() == {"centre": "C0042", "username": "ann"}


def test_cookie_is_secure_when_configured_for_https(app, client: TestClient, staff: None) -> None:  # type: ignore[no-untyped-def]
    app.state.settings = app.state.settings.model_copy(update={"https": True})
    response = client.post(LOGIN, json={"centre": "C0042", "username": "ann", "password": PASSWORD})
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_and_unknown_account_look_the_same(client: TestClient, staff: None) -> None:
    wrong = client.post(
        LOGIN, json={"centre": "C0042", "username": "ann", "password": "nope-nope-nope"}
    )
    unknown = client.post(
        LOGIN, json={"centre": "C0042", "username": "bob", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_no_cookie_is_401(client: TestClient) -> None:
    assert client.get(LOGIN).status_code == 401


def replace_cookie(client: TestClient, value: str) -> None:
    # The jar keeps the server's cookie under its own domain; drop it so only ours is sent.
    client.cookies.delete("examhall_staff")
    client.cookies.set("examhall_staff", value)


def test_a_tampered_cookie_is_401_not_500(client: TestClient, staff: None) -> None:
    login_invigilator(client)
    value = client.cookies["examhall_staff"]
    replace_cookie(client, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert client.get(LOGIN).status_code == 401


def test_a_cookie_signed_for_another_purpose_is_refused(
    client: TestClient, settings: Settings, staff: None
) -> None:
    csrf = login_invigilator(client)
    other = serializer(settings.secret_key.get_secret_value(), cookies.CANDIDATE.name)
    replace_cookie(client, other.dumps({"sub": 1, "csrf": csrf}))
    assert client.get(LOGIN).status_code == 401


def test_an_expired_cookie_is_401(
    client: TestClient, settings: Settings, staff: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_invigilator(client)
    lifetime = settings.staff_session_minutes * 60
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + lifetime + 5)
    assert client.get(LOGIN).status_code == 401


def test_unsafe_requests_need_the_csrf_header(client: TestClient, staff: None) -> None:
    csrf = login_invigilator(client)
    logout = f"{LOGIN}/logout"
    assert client.post(logout).status_code == 403
    assert client.post(logout, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    response = client.post(logout, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert 'examhall_staff=""' in response.headers["set-cookie"]


def test_repeated_failures_lock_the_account_for_a_while(
    client: TestClient, staff: None, settings: Settings, clock: MovableClock
) -> None:
    for _ in range(settings.login_account_failures):
        assert attempt(client, "wrong-password") == 401
    # Locked: even the right password is refused, with a Retry-After.
    response = client.post(LOGIN, json={"centre": "C0042", "username": "ann", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) == settings.login_lockout_seconds
    clock.advance(seconds=settings.login_lockout_seconds + 1)
    assert attempt(client, PASSWORD) == 200


def test_a_success_resets_the_account_count(
    client: TestClient, staff: None, settings: Settings
) -> None:
    for _ in range(settings.login_account_failures - 1):
        attempt(client, "wrong-password")
    assert attempt(client, PASSWORD) == 200
    assert attempt(client, "wrong-password") == 401  # counting starts again


def test_failures_outside_the_window_are_forgotten(
    client: TestClient, staff: None, settings: Settings, clock: MovableClock
) -> None:
    for _ in range(settings.login_account_failures - 1):
        attempt(client, "wrong-password")
    clock.advance(seconds=settings.login_window_seconds + 1)
    assert attempt(client, "wrong-password") == 401
    assert attempt(client, PASSWORD) == 200


def test_one_address_guessing_many_accounts_is_throttled(
    app: FastAPI, client: TestClient, staff: None
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"login_address_failures": 8})
    codes = [attempt(client, "wrong-password", username=f"user{i}") for i in range(9)]
    assert codes[:8] == [401] * 8 and codes[8] == 429


def test_signing_out_ends_every_copy_of_the_cookie_at_once(client: TestClient, staff: None) -> None:
    """A cookie copied before sign-out (another tab, a stolen copy) no longer works: not on
    the API, and not on the pages."""
    csrf = login_invigilator(client)
    kept = dict(client.cookies)
    assert client.post(f"{LOGIN}/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    client.cookies.update(kept)
    refused = client.get(LOGIN)
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("/not-authenticated")
    page = client.get("/invigilate/sessions", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/invigilate"
    assert client.get("/invigilate", follow_redirects=False).status_code == 200  # no loop
    login_invigilator(client)  # signing in again works
    assert client.get(LOGIN).status_code == 200

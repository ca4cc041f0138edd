"""Set-Cookie as examhall writes it: the same bytes as starlette's Response.set_cookie."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from app.auth import cookies
from app.sittings import devices
from tests.sittings.test_concurrency import fresh, live  # noqa: F401  (fixtures)


@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.parametrize(
    "value",
    [
        "eyJhdHRlbXB0IjoxfQ.Z1x2yA.abc-DEF_123",  # itsdangerous' URL-safe output
        "Ab3_-" * 8,  # a device id
        "a b",  # quoted by http.cookies: left to starlette
        'say "hi"',
        "semi;colon",
        "é",
        "",
    ],
)
def test_set_cookie_writes_what_starlette_writes(value: str, secure: bool) -> None:
    ours, theirs = Response(), Response()
    cookies.set_cookie(ours, "examhall_x", value, 3600, secure=secure)
    theirs.set_cookie(
        "examhall_x", value, max_age=3600, httponly=True, samesite="lax", secure=secure, path="/"
    )
    assert ours.raw_headers == theirs.raw_headers


def test_set_cookie_keeps_each_lifetime_apart() -> None:
    response = Response()
    cookies.set_cookie(response, "a", "1", 60, secure=False)
    cookies.set_cookie(response, "b", "2", 120, secure=True)
    assert response.headers.getlist("set-cookie") == [
        "a=1; HttpOnly; Max-Age=60; Path=/; SameSite=lax",
        "b=2; HttpOnly; Max-Age=120; Path=/; SameSite=lax; Secure",
    ]


def test_a_candidates_sign_in_sets_both_cookies_and_answers_with_its_csrf_token(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
) -> None:
    """The sign-in builds its own response (no response model pass): its body, its status and
    both cookies are as before, and the cookie carries the token the body gives."""
    app, codes, _ = live
    settings = app.state.settings
    client = TestClient(app)
    body = {"candidate_number": "K000", "access_code": codes["K000"]}
    response = client.post("/api/v1/auth/candidate", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    out = response.json()
    assert set(out) == {"csrf_token", "attempt_id", "admission"}
    assert out["admission"] == "admitted" and isinstance(out["attempt_id"], int)
    sent = {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}
    assert set(sent) == {cookies.CANDIDATE.name, devices.COOKIE}
    minutes = settings.candidate_session_minutes
    assert sent[cookies.CANDIDATE.name].endswith(
        f"; HttpOnly; Max-Age={minutes * 60}; Path=/; SameSite=lax"
    )
    assert sent[devices.COOKIE].endswith(
        f"; HttpOnly; Max-Age={devices.COOKIE_MAX_AGE}; Path=/; SameSite=lax"
    )
    value = sent[cookies.CANDIDATE.name].split(";", 1)[0].split("=", 1)[1]
    signer = URLSafeTimedSerializer(
        settings.secret_key.get_secret_value(), salt=f"examhall.{cookies.CANDIDATE.name}"
    )
    payload = signer.loads(value)
    device = sent[devices.COOKIE].split(";", 1)[0].split("=", 1)[1]
    assert payload["csrf"] == out["csrf_token"] and payload["attempt"] == out["attempt_id"]
    assert payload["device"] == devices.digest(device)
    # ... and it signs the candidate in: the token goes with the cookie.
    paper = client.get("/api/v1/attempt", headers={"X-CSRF-Token": out["csrf_token"]})
    assert paper.status_code == 200
    again = client.post("/api/v1/auth/candidate", json=body)  # the same device, the quiet path
    assert again.status_code == 200
    assert again.cookies.get(devices.COOKIE) == device

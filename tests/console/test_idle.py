"""The console's idle timeout: a sign-in ends after console_idle_minutes without a request, and
after staff_session_minutes whatever is done; every request renews it (at most once a minute),
and the page can renew it without leaving (POST /console/alive)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.console.deps import Renewing
from app.staff import service as staff
from tests.console.conftest import Later, SignIn
from tests.system.test_routes import walk


def console_cookies(response: object) -> list[str]:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return [h for h in headers if h.startswith("examhall_console=")]


def test_a_request_within_the_idle_time_renews_the_sign_in(
    client: TestClient, console: SignIn, settings: Settings, later: Later
) -> None:
    console("results_officer")
    assert console_cookies(client.get("/console/results")) == []  # not within a minute
    later(settings.console_idle_minutes * 60 - 30)
    page = client.get("/console/results", follow_redirects=False)
    assert page.status_code == 200
    [renewed] = console_cookies(page)
    assert "HttpOnly" in renewed and "SameSite=lax" in renewed
    # renewed: another almost-whole idle period later the sign-in still holds
    later(settings.console_idle_minutes * 60 - 30)
    assert client.get("/console/results", follow_redirects=False).status_code == 200


def test_a_sign_in_left_idle_ends_and_the_sign_in_page_says_why(
    client: TestClient, console: SignIn, settings: Settings, later: Later
) -> None:
    console("results_officer")
    later(settings.console_idle_minutes * 60 + 5)
    page = client.get("/console/results?outcome=pass", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == (
        "/console/sign-in?next=%2Fconsole%2Fresults%3Foutcome%3Dpass&ended=idle"
    )
    sign_in = client.get(page.headers["location"], follow_redirects=False)
    assert sign_in.status_code == 200  # not sent on to the page (and back: a loop)
    assert "signed out because the console had not been used for a while" in sign_in.text
    assert 'name="next" value="/console/results?outcome=pass"' in sign_in.text
    # a form posted from a page left open is not acted on either
    assert client.post("/console/alive", follow_redirects=False).status_code == 303


def test_a_sign_in_ends_after_its_whole_length_however_busy(
    client: TestClient, console: SignIn, settings: Settings, later: Later
) -> None:
    console("results_officer")
    step = settings.console_idle_minutes * 60 - 60
    used = 0
    while used + step < settings.staff_session_minutes * 60:
        later(step)
        used += step
        assert client.get("/console", follow_redirects=False).status_code == 200
    later(settings.staff_session_minutes * 60 - used + 5)
    ended = client.get("/console", follow_redirects=False)
    assert ended.status_code == 303 and "ended=expired" in ended.headers["location"]


def test_the_page_renews_the_sign_in_without_leaving(
    client: TestClient, console: SignIn, settings: Settings, later: Later
) -> None:
    csrf = console("exam_officer")
    assert client.post("/console/alive", follow_redirects=False).status_code == 403  # no token
    later(settings.console_idle_minutes * 60 - 10)
    kept = client.post("/console/alive", data={"csrf_token": csrf}, follow_redirects=False)
    assert kept.status_code == 204 and len(console_cookies(kept)) == 1
    later(settings.console_idle_minutes * 60 - 10)
    assert client.get("/console", follow_redirects=False).status_code == 200


def test_the_page_reads_the_time_left_without_renewing_it(
    client: TestClient, console: SignIn, settings: Settings, later: Later
) -> None:
    assert client.get("/console/session").status_code == 401
    console("results_officer")
    later(600)
    left = client.get("/console/session")
    assert left.status_code == 200 and console_cookies(left) == []  # read, not renewed
    assert abs(left.json()["seconds_left"] - (settings.console_idle_minutes * 60 - 600)) <= 2
    later(settings.console_idle_minutes * 60)
    assert client.get("/console/session").status_code == 401


def test_the_whole_length_is_said_as_such(
    client: TestClient, console: SignIn, settings: Settings, later: Later
) -> None:
    console("results_officer")
    step = settings.console_idle_minutes * 60 - 60
    for _ in range(settings.staff_session_minutes * 60 // step):
        later(step)
        client.get("/console", follow_redirects=False)
    left = client.get("/console/session")
    if left.status_code == 200:  # the end is near: the page's reckoning includes it
        assert left.json()["seconds_left"] <= settings.staff_session_minutes * 60 % step + 2
        later(step)
    ended = client.get("/console", follow_redirects=False)
    assert ended.headers["location"].endswith("&ended=expired")
    page = client.get(ended.headers["location"])
    assert "a sign-in lasts at most 8 hours" in page.text


def test_a_disabled_accounts_cookie_does_not_bounce_between_pages(
    client: TestClient, console: SignIn, db: Session
) -> None:
    """A review: the sign-in page sent a live cookie on to the page asked for, whose account
    was disabled since, which sent it back: a loop until the browser gave up."""
    console("results_officer")
    staff.disable(db, datetime.now(UTC), username="results_officer.user")
    db.flush()
    page = client.get("/console/sign-in?next=%2Fconsole", follow_redirects=False)
    assert page.status_code == 200 and "staff sign-in" in page.text


def test_signing_out_is_not_undone_by_the_renewal(
    client: TestClient, console: SignIn, later: Later
) -> None:
    csrf = console("administrator")
    later(120)  # a renewal is due
    out = client.post("/console/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    [cleared] = console_cookies(out)
    assert cleared.startswith('examhall_console=""') and "Max-Age=0" in cleared
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_every_console_route_renews_the_sign_in(app: FastAPI) -> None:
    console = [(p, r) for p, r in walk(app.router.routes) if p.startswith("/console")]
    assert len(console) > 40
    assert [p for p, r in console if not isinstance(r, Renewing)] == []

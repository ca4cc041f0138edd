"""The candidate pages as plain forms: the exam can be sat with the script switched off."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.sittings.conftest import Room, code


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf field"
    return match.group(1)


def press_start(client: TestClient) -> None:
    """The instructions page's Start button: the candidate's clock starts now."""
    page = client.get("/exam/start")
    assert "Start the exam" in page.text and "Your time has not started yet" in page.text
    started = client.post("/exam/start", data={"csrf_token": csrf_of(page.text)})
    assert started.status_code == 200 and started.url.path == "/exam/q/1"


def test_sitting_the_exam_with_plain_forms(room: Room) -> None:
    session = room.open_session(["N001"])
    client = room.client
    page = client.get("/exam")
    assert page.status_code == 200 and "Sign in to your exam" in page.text
    bad = client.post("/exam", data={"candidate_number": "N001", "access_code": "WRONG1"})
    assert bad.status_code == 401 and "not recognised" in bad.text
    start = client.post(
        "/exam", data={"candidate_number": "N001", "access_code": code(session, "N001")}
    )
    assert start.status_code == 200 and "Start the exam" in start.text  # followed the 303
    assert client.get("/exam/q/1", follow_redirects=False).headers["location"] == "/exam/start"
    press_start(client)
    question = client.get("/exam/q/1")
    token = csrf_of(question.text)
    option = re.search(r'name="option" value="([^"]+)"', question.text)
    assert option
    moved = client.post(
        "/exam/q/1",
        data={"csrf_token": token, "option": option.group(1), "flagged": "on", "go": "next"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and moved.headers["location"] == "/exam/q/2"
    item = room.attempt()["items"][0]
    assert item["answer"] == option.group(1) and item["flagged"] is True
    forged = client.post("/exam/q/1", data={"csrf_token": "forged", "go": "next"})
    assert forged.status_code == 403
    review = client.get("/exam/review")
    assert "You have answered 1 of 15 questions and flagged 1" in review.text
    confirm = client.get("/exam/submit")
    assert "14 questions have no answer" in confirm.text
    done = client.post("/exam/submit", data={"csrf_token": token})
    assert done.status_code == 200 and "Your exam has been submitted" in done.text
    assert client.get("/exam/q/1", follow_redirects=False).headers["location"] == "/exam/done"
    assert room.results()["results"][0]["submitted_by"] == "candidate"


def test_pages_send_strangers_to_sign_in(room: Room) -> None:
    for path in ("/exam/start", "/exam/q/1", "/exam/review", "/exam/submit", "/exam/done"):
        response = room.client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/exam", path


def test_display_preferences_are_kept_on_the_profile(room: Room) -> None:
    session = room.open_session(["N001"])
    room.client.post(
        "/exam", data={"candidate_number": "N001", "access_code": code(session, "N001")}
    )
    token = csrf_of(room.client.get("/exam/start").text)
    room.client.post(
        "/exam/preferences",
        data={"csrf_token": token, "text_size": "150", "scheme": "cream", "back": "/exam/q/1"},
    )
    assert 'class="text-150 scheme-cream"' in room.client.get("/exam/q/1").text
    bad = room.client.post(
        "/exam/preferences", data={"csrf_token": token, "text_size": "999", "scheme": "x"}
    )
    assert bad.status_code == 422

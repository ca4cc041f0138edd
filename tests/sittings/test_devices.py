"""One device at a time: taking a paper over from a silent page, refusing it from a live one,
and the invigilator's re-admission on another computer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.journal.models import JournalEntry
from app.sittings.models import Attempt
from tests.factories import PASSWORD
from tests.sittings.conftest import Room
from tests.sittings.conftest import code as own_code
from tests.sittings.test_pages import press_start


class Device:
    """A browser or script with its own cookie jar."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def sign_in(self, number: str, code: str) -> Any:
        response = self.client.post(
            "/api/v1/auth/candidate", json={"candidate_number": number, "access_code": code}
        )
        if response.status_code == 200:
            self.csrf = response.json()["csrf_token"]
        return response

    def report(self) -> Any:
        """What the exam page does every 10 seconds."""
        return self.client.get("/api/v1/attempt/clock", headers={"X-Examhall-Page": "1"})

    def attempt(self) -> Any:
        return self.client.get("/api/v1/attempt")

    def answer(self, position: int, option_id: str, seq: int) -> Any:
        return self.client.put(
            f"/api/v1/attempt/answers/{position}",
            json={"option_id": option_id, "seq": seq},
            headers={"X-CSRF-Token": self.csrf},
        )


@pytest.fixture
def devices(room: Room) -> Iterator[tuple[Device, Device, Device]]:
    """Two candidate devices and the invigilator's, all on the room's app."""
    app = room.client.app
    with (
        TestClient(app, raise_server_exceptions=False) as a,
        TestClient(app, raise_server_exceptions=False) as b,
        TestClient(app, raise_server_exceptions=False) as staff,
    ):
        yield Device(a), Device(b), Device(staff)


def held_by(room: Room, device: Device) -> tuple[dict[str, Any], str, int]:
    """N001's session, open on `device` with its exam page reporting: (session, code, attempt)."""
    session = room.open_session(["N001"])
    code = own_code(session, "N001")
    signed_in = device.sign_in("N001", code)
    assert signed_in.status_code == 200
    assert device.report().status_code == 200
    return session, code, signed_in.json()["attempt_id"]


def invigilate(staff: Device) -> None:
    response = staff.client.post(
        "/api/v1/auth/invigilator",
        json={"centre": "C0042", "username": "ann", "password": PASSWORD},
    )
    assert response.status_code == 200
    staff.csrf = response.json()["csrf_token"]


def line(staff: Device, session_id: int, number: str = "N001") -> dict[str, Any]:
    body = staff.client.get(f"/api/v1/sessions/{session_id}").json()
    return next(c for c in body["candidates"] if c["candidate_number"] == number)


def readmit(staff: Device, session_id: int, number: str = "N001", **body: Any) -> Any:
    return staff.client.post(
        f"/api/v1/sessions/{session_id}/candidates/{number}/readmit",
        json=body or {"reason": "PC at desk 4 froze; moved to desk 9"},
        headers={"X-CSRF-Token": staff.csrf},
    )


def events(db: Session, attempt_id: int) -> list[tuple[str, dict[str, Any]]]:
    rows = db.scalars(
        select(JournalEntry)
        .where(JournalEntry.chain == f"attempt:{attempt_id}")
        .order_by(JournalEntry.seq)
    )
    return [(e.event, e.data) for e in rows]


def test_a_script_signs_in_again_from_anywhere(
    room: Room, devices: tuple[Device, Device, Device]
) -> None:
    """API clients never report a page, so a second sign-in (issue #5) just resumes."""
    a, b, _ = devices
    session = room.open_session(["N001"])
    code = own_code(session, "N001")
    assert a.sign_in("N001", code).status_code == 200
    items = a.attempt().json()["items"]
    option, other = items[0]["options"][1]["id"], items[1]["options"][0]["id"]
    assert a.answer(1, option, 1).status_code == 200
    assert a.client.get("/api/v1/attempt/clock").status_code == 200  # no page header
    second = b.sign_in("N001", code)
    assert second.status_code == 200
    assert second.json()["attempt_id"] == a.sign_in("N001", code).json()["attempt_id"]
    assert b.attempt().json()["items"][0]["answer"] == option
    assert a.answer(2, other, 1).status_code == 200  # the first client still works
    assert b.attempt().json()["items"][1]["answer"] == other


def test_a_live_page_keeps_the_paper_until_it_falls_silent(
    room: Room, devices: tuple[Device, Device, Device], db: Session
) -> None:
    a, b, staff = devices
    session = room.open_session(["N001"])
    code = own_code(session, "N001")
    attempt_id = a.sign_in("N001", code).json()["attempt_id"]
    option = a.attempt().json()["items"][0]["options"][0]["id"]
    assert a.answer(1, option, 1).status_code == 200
    assert a.report().status_code == 200
    room.clock.advance(seconds=20)

    refused = b.sign_in("N001", code)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "ask your invigilator to re-admit you" in refused.json()["detail"]
    assert a.attempt().status_code == 200  # the holder carries on
    invigilate(staff)
    warned = line(staff, session["id"])
    assert warned["refused_sign_in_at"] is not None and warned["device"] is not None
    assert events(db, attempt_id)[-1][0] == "sign_in_refused"

    # Signing in again on the holding device (a reload, a closed tab) is always fine.
    assert a.sign_in("N001", code).status_code == 200

    room.clock.advance(seconds=46)  # the holder's page has stopped reporting: it crashed
    assert b.sign_in("N001", code).status_code == 200
    assert b.attempt().json()["items"][0]["answer"] == option
    moved = a.attempt()
    assert moved.status_code == 401 and "moved to another computer" in moved.json()["detail"]
    assert a.answer(1, option, 2).status_code == 401
    assert line(staff, session["id"])["refused_sign_in_at"] is None
    signed_in = [data for event, data in events(db, attempt_id) if event == "signed_in"][-1]
    assert signed_in["moved_from"] == warned["device"] and signed_in["readmitted"] is False


def test_readmit_signs_the_old_device_out_and_lets_the_next_sign_in_take_over(
    room: Room, devices: tuple[Device, Device, Device], db: Session
) -> None:
    a, b, staff = devices
    session = room.open_session(["N001"])
    code = own_code(session, "N001")
    attempt_id = a.sign_in("N001", code).json()["attempt_id"]
    option = a.attempt().json()["items"][0]["options"][2]["id"]
    assert a.answer(1, option, 1).status_code == 200
    a.report()
    assert b.sign_in("N001", code).status_code == 409

    invigilate(staff)
    held_by = line(staff, session["id"])["device"]
    response = readmit(staff, session["id"])
    assert response.status_code == 200
    after = next(c for c in response.json()["candidates"] if c["candidate_number"] == "N001")
    assert after["readmitted_at"] is not None
    assert after["device"] not in (None, held_by)  # kept for the computer that was refused
    assert after["refused_sign_in_at"] is None
    assert a.report().status_code == 401  # signed out at once, before anyone signs in

    assert b.sign_in("N001", code).status_code == 200
    assert b.attempt().json()["items"][0]["answer"] == option
    now = line(staff, session["id"])
    assert now["readmitted_at"] is None and now["device"] not in (None, held_by)
    trail = events(db, attempt_id)
    readmitted = next(data for event, data in trail if event == "readmitted")
    assert readmitted["reason"].startswith("PC at desk 4") and readmitted["released"] == held_by
    assert trail[-1][0] == "signed_in" and trail[-1][1]["readmitted"] is True

    # The old device cannot take the paper back while the new page is reporting.
    b.report()
    assert a.sign_in("N001", code).status_code == 409


def test_a_paused_candidate_can_be_readmitted(
    room: Room, devices: tuple[Device, Device, Device]
) -> None:
    a, b, staff = devices
    session, code, _ = held_by(room, a)
    invigilate(staff)
    pause = staff.client.post(
        f"/api/v1/sessions/{session['id']}/candidates/N001/pause",
        headers={"X-CSRF-Token": staff.csrf},
    )
    assert pause.status_code == 200
    a.report()  # a paused page still reports
    assert b.sign_in("N001", code).status_code == 409
    assert readmit(staff, session["id"]).status_code == 200
    assert b.sign_in("N001", code).status_code == 200
    assert b.attempt().json()["status"] == "paused"


def test_readmit_is_refused_when_there_is_nothing_to_move(
    room: Room, devices: tuple[Device, Device, Device], db: Session
) -> None:
    a, _, staff = devices
    session = room.open_session(["N001", "N002"])
    invigilate(staff)
    not_started = readmit(staff, session["id"], "N002")
    assert not_started.status_code == 409 and "not started" in not_started.json()["detail"]
    assert readmit(staff, session["id"], "N404").status_code == 404
    assert readmit(staff, session["id"], "N001", reason="").status_code == 422
    assert readmit(staff, session["id"], "N001", note="x").status_code == 422
    a.sign_in("N001", own_code(session, "N001"))
    submitted = a.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": a.csrf})
    assert submitted.status_code == 200
    assert readmit(staff, session["id"]).status_code == 409
    attempt = db.scalars(select(Attempt).where(Attempt.status == "submitted")).one()
    assert attempt.readmitted_at is None and attempt.admission == 0


def test_readmit_is_for_the_invigilators_own_centre(
    room: Room, devices: tuple[Device, Device, Device]
) -> None:
    a, b, staff = devices
    session = room.open_session(["N001"])
    a.sign_in("N001", own_code(session, "N001"))
    as_candidate = a.client.post(
        f"/api/v1/sessions/{session['id']}/candidates/N001/readmit",
        json={"reason": "x"},
        headers={"X-CSRF-Token": a.csrf},
    )
    assert as_candidate.status_code == 403
    york = b.client.post(
        "/api/v1/auth/invigilator",
        json={"centre": "C0099", "username": "yves", "password": PASSWORD},
    )
    b.csrf = york.json()["csrf_token"]
    assert readmit(b, session["id"]).status_code == 404
    invigilate(staff)
    assert (
        staff.client.post(
            f"/api/v1/sessions/{session['id']}/candidates/N001/readmit", json={"reason": "x"}
        ).status_code
        == 403
    )  # no CSRF header
    assert line(staff, session["id"])["readmitted_at"] is None


def test_moving_computer_with_the_pages(room: Room, devices: tuple[Device, Device, Device]) -> None:
    """The plain-form path: a refused sign-in says why, the invigilator confirms a re-admission
    with a reason, the old computer is told its exam has moved, the new one carries on."""
    a, b, staff = devices
    session = room.open_session(["N001"])
    form = {"candidate_number": "N001", "access_code": own_code(session, "N001")}
    assert a.client.post("/exam", data=form).status_code == 200
    press_start(a.client)
    question = a.client.get("/exam/q/1")  # the page loading is the page reporting
    assert question.status_code == 200 and "Question 1" in question.text

    refused = b.client.post("/exam", data=form)
    assert refused.status_code == 409
    assert "open on another computer" in refused.text and "re-admit" in refused.text

    page = staff.client.post(
        "/invigilate", data={"centre": "C0042", "username": "ann", "password": PASSWORD}
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    url = f"/invigilate/sessions/{session['id']}"
    register = staff.client.get(url).text
    assert "Sign-in refused on another computer" in register
    confirm = staff.client.get(f"{url}/confirm?action=readmit&candidate=N001")
    assert "Re-admit candidate N001 on another computer?" in confirm.text
    data = {"csrf_token": token.group(1)}
    readmit = f"{url}/candidates/N001/readmit"
    no_reason = staff.client.post(readmit, data={**data, "reason": ""})
    assert no_reason.status_code == 422 and "Give a reason" in no_reason.text
    done = staff.client.post(readmit, data={**data, "reason": "Keyboard failed at desk 3"})
    assert "Candidate re-admitted" in done.text and "waiting for sign-in" in done.text

    moved = a.client.get("/exam/q/1")
    assert moved.url.path == "/exam" and "Your exam has moved to another computer" in moved.text
    assert b.client.post("/exam", data=form).status_code == 200
    assert b.client.get("/exam/q/1").status_code == 200


def test_readmission_keeps_the_paper_for_the_refused_computer(
    room: Room, devices: tuple[Device, Device, Device], db: Session
) -> None:
    a, b, staff = devices
    session, code, attempt_id = held_by(room, a)
    refused = b.sign_in("N001", code)
    assert refused.status_code == 409
    assert "examhall_device=" in refused.headers["set-cookie"]  # B keeps its id for next time
    room.clock.advance(seconds=5)
    assert b.sign_in("N001", code).status_code == 409  # a retry: journalled once, not twice
    assert [e for e, _ in events(db, attempt_id)].count("sign_in_refused") == 1

    invigilate(staff)
    assert readmit(staff, session["id"]).status_code == 200
    with TestClient(room.client.app, raise_server_exceptions=False) as other:
        outsider = Device(other)
        assert outsider.sign_in("N001", code).status_code == 409  # kept for B
    assert a.sign_in("N001", code).status_code == 409  # and not for the old computer
    assert b.sign_in("N001", code).status_code == 200
    assert line(staff, session["id"])["readmitted_at"] is None
    kept = next(data for event, data in events(db, attempt_id) if event == "readmitted")
    assert kept["kept_for"] == line(staff, session["id"])["device"]


def test_the_exam_sign_in_form_signs_out_the_device_it_replaces(
    room: Room, devices: tuple[Device, Device, Device]
) -> None:
    """A script holding the paper reports no page; the form still takes the paper from it
    for good, so a stranger's client cannot keep writing beside the candidate."""
    a, b, _ = devices
    session = room.open_session(["N001"])
    code = own_code(session, "N001")
    assert a.sign_in("N001", code).status_code == 200
    form = {"candidate_number": "N001", "access_code": code}
    assert b.client.post("/exam", data=form).status_code == 200
    assert a.attempt().status_code == 401
    assert b.client.get("/exam/q/1").status_code == 200


def test_reasons_must_say_something_and_warnings_end_with_the_attempt(
    room: Room, devices: tuple[Device, Device, Device]
) -> None:
    a, b, staff = devices
    session, code, _ = held_by(room, a)
    assert b.sign_in("N001", code).status_code == 409
    invigilate(staff)
    assert readmit(staff, session["id"], reason="   ").status_code == 422
    assert line(staff, session["id"])["refused_sign_in_at"] is not None
    assert readmit(staff, session["id"]).status_code == 200
    closed = staff.client.post(
        f"/api/v1/sessions/{session['id']}/close", headers={"X-CSRF-Token": staff.csrf}
    )
    assert closed.status_code == 200
    ended = line(staff, session["id"])
    assert ended["status"] == "submitted"
    assert ended["readmitted_at"] is None and ended["refused_sign_in_at"] is None
    assert readmit(staff, session["id"]).status_code == 409


def test_a_readmission_before_any_refusal_frees_the_paper_for_the_next_sign_in(
    room: Room, devices: tuple[Device, Device, Device]
) -> None:
    a, b, staff = devices
    session, code, _ = held_by(room, a)
    invigilate(staff)
    assert readmit(staff, session["id"]).json()["candidates"][0]["device"] is None
    assert b.sign_in("N001", code).status_code == 200
    assert a.attempt().status_code == 401


def test_a_readmission_to_the_next_sign_in_lets_any_computer_take_the_paper(
    room: Room, devices: tuple[Device, Device, Device], db: Session
) -> None:
    """The refused computer may be no use either: the invigilator can keep the paper for the
    candidate's next sign-in wherever it is (a new user's trial: a third computer was refused
    after a re-admission, while the confirmation said 'on any computer')."""
    a, b, staff = devices
    session, code, attempt_id = held_by(room, a)
    assert b.sign_in("N001", code).status_code == 409
    invigilate(staff)
    bad = readmit(staff, session["id"], reason="Desk 9 dead too", computer="the third one")
    assert bad.status_code == 422
    moved = readmit(staff, session["id"], reason="Desk 9 dead too; to desk 12", computer="next")
    assert moved.status_code == 200
    assert line(staff, session["id"])["device"] is None  # kept for nobody in particular
    with TestClient(room.client.app, raise_server_exceptions=False) as spare:
        third = Device(spare)
        assert third.sign_in("N001", code).status_code == 200
        assert third.attempt().status_code == 200
    assert a.attempt().status_code == 401  # the old computer was signed out
    kept = next(data for event, data in events(db, attempt_id) if event == "readmitted")
    assert kept["kept_for"] is None and kept["reason"].startswith("Desk 9")


def test_a_candidate_reading_the_instructions_can_be_readmitted(
    room: Room, devices: tuple[Device, Device, Device]
) -> None:
    """Signed in at the exam page and reading: the paper is held as much as when under way, so
    a refused computer needs a re-admission; the reading time is not started again."""
    a, b, staff = devices
    session = room.open_session(["N001"])
    form = {"candidate_number": "N001", "access_code": own_code(session, "N001")}
    assert a.client.post("/exam", data=form).status_code == 200  # the instructions
    assert a.client.get("/exam/start").status_code == 200  # the page reports: in use
    invigilate(staff)
    reading = line(staff, session["id"])
    assert reading["shown_status"] == "reading" and reading["status"] == "not_started"
    assert b.client.post("/exam", data=form).status_code == 409
    refused_line = line(staff, session["id"])
    assert refused_line["refused_sign_in_at"] is not None
    page = staff.client.post(
        "/invigilate", data={"centre": "C0042", "username": "ann", "password": PASSWORD}
    )
    url = f"/invigilate/sessions/{session['id']}"
    assert "Re-admit on another computer" in staff.client.get(url).text
    confirm = staff.client.get(f"{url}/confirm?action=readmit&candidate=N001").text
    assert "Which computer takes the paper" in confirm
    assert "Whichever computer they sign in on next" in confirm
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    done = staff.client.post(
        f"{url}/candidates/N001/readmit",
        data={
            "csrf_token": token.group(1),
            "reason": "Screen dark at desk 3",
            "computer": "refused",
        },
    )
    assert "Candidate re-admitted" in done.text
    assert "waiting for sign-in" in done.text and "on the computer that was refused" in done.text
    assert b.client.post("/exam", data=form).status_code == 200
    after = line(staff, session["id"])
    assert after["shown_status"] == "reading"
    assert after["reading_until"] == reading["reading_until"]  # not started again

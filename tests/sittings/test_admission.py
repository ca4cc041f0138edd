"""Admission: each candidate's own code, approval by the invigilator, guesses throttled
without ever locking the real candidate (or the room) out, and signing out for good."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.sittings.conftest import Room, code
from tests.sittings.test_concurrency import fresh, live
from tests.sittings.test_pages import csrf_of

__all__ = ["fresh", "live"]
LOGIN = "/api/v1/auth/candidate"


def _type(response: object) -> str:
    return str(response.json()["type"]).rsplit("/", 1)[-1]  # type: ignore[attr-defined]


def test_only_the_candidates_own_code_admits_them(room: Room) -> None:
    session = room.open_session(["N001", "N002"])
    room_code = {"candidate_number": "N001", "access_code": session["access_code"]}
    neighbours = {"candidate_number": "N001", "access_code": code(session, "N002")}
    for body in (room_code, neighbours):
        refused = room.client.post(LOGIN, json=body)
        assert refused.status_code == 401 and _type(refused) == "invalid-credentials"
    own = room.client.post(LOGIN, json={**room_code, "access_code": code(session, "N001")})
    assert own.status_code == 200 and own.json()["admission"] == "admitted"


def test_the_register_gives_the_invigilator_each_code(room: Room) -> None:
    session = room.open_session(["N001", "N002"])
    csrf = room.invigilate()
    lines = room.client.get(f"/api/v1/sessions/{session['id']}").json()["candidates"]
    assert {line["candidate_number"]: line["access_code"] for line in lines} == {
        c["candidate_number"]: c["access_code"] for c in session["candidates"]
    }
    assert csrf


def test_a_neighbours_wrong_guesses_never_lock_the_real_candidate_out(room: Room) -> None:
    session = room.open_session(["N001"])
    wrong = {"candidate_number": "N001", "access_code": "WRONGCODE"}
    room.client.cookies.set("examhall_device", "n" * 32)  # the guesser's browser
    statuses = [room.client.post(LOGIN, json=wrong).status_code for _ in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    locked = room.client.post(LOGIN, json=wrong)
    assert _type(locked) == "too-many-requests" and int(locked.headers["Retry-After"]) > 0
    # The real candidate, at the same address (one exam room), signs in at once ...
    right = {"candidate_number": "N001", "access_code": code(session, "N001")}
    with TestClient(room.client.app) as candidate:
        assert candidate.post(LOGIN, json=right).status_code == 200
    # ... and so does a browser that mistyped the code ten times before typing it right: a
    # browser's lock holds back its wrong codes, never the code's owner.
    assert room.client.post(LOGIN, json=right).status_code == 200


def test_guesses_without_a_device_cookie_never_lock_out_a_client_without_one(
    room: Room,
) -> None:
    """Every request without our device cookie shares one count per address (dropping the
    cookie buys no fresh guesses): a neighbour guessing that way, and a real candidate whose
    JSON client keeps no cookies, are in the same bucket. The bucket holds back wrong codes;
    the right one still admits (found by a new user's trial: it was 429 for 5 minutes)."""
    session = room.open_session(["N001"])
    wrong = {"candidate_number": "N001", "access_code": "WRONGCODE"}
    right = {"candidate_number": "N001", "access_code": code(session, "N001")}
    statuses = []
    for _ in range(12):
        with TestClient(room.client.app) as guesser:  # a fresh client each time: no cookie
            statuses.append(guesser.post(LOGIN, json=wrong).status_code)
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    with TestClient(room.client.app) as candidate:
        assert candidate.post(LOGIN, json=right).status_code == 200


def test_the_rooms_breaker_bounds_every_guess_and_then_holds_everyone(room: Room) -> None:
    """What bounds guessing is the address's breaker: every wrong code counts on it, those
    refused by a browser's own lock included; once it trips, the room waits it out (the
    invigilator is told by the 429s), right codes too."""
    settings = room.client.app.state.settings  # type: ignore[attr-defined]
    session = room.open_session(["N001", "N002"])
    wrong = {"candidate_number": "N001", "access_code": "WRONGCODE"}
    room.client.cookies.set("examhall_device", "g" * 32)
    statuses = [
        room.client.post(LOGIN, json=wrong).status_code
        for _ in range(settings.candidate_address_failures)
    ]
    assert statuses.count(401) == settings.candidate_device_failures
    assert statuses[-1] == 429
    with TestClient(room.client.app) as candidate:
        right = {"candidate_number": "N002", "access_code": code(session, "N002")}
        refused = candidate.post(LOGIN, json=right)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        room.clock.advance(seconds=settings.login_lockout_seconds + 1)
        assert candidate.post(LOGIN, json=right).status_code == 200


def test_admission_by_approval(room: Room) -> None:
    session = room.open_session(["N001", "N002"], approve_admission=True)
    assert session["approve_admission"] is True
    csrf = room.invigilate()
    early = room.act(csrf, session["id"], "candidates/N001/admit")
    assert early.status_code == 409  # not signed in yet: nothing to admit
    room.client.cookies.clear()
    signed = room.client.post(
        LOGIN, json={"candidate_number": "N001", "access_code": code(session, "N001")}
    )
    assert signed.status_code == 200 and signed.json()["admission"] == "awaiting_approval"
    waiting = room.client.get("/api/v1/attempt")
    assert waiting.status_code == 409 and _type(waiting) == "awaiting-admission"
    clock = room.client.get("/api/v1/attempt/clock").json()
    assert (clock["status"], clock["admission"]) == ("not_started", "awaiting_approval")
    cand_csrf = signed.json()["csrf_token"]
    saved = room.client.put(
        "/api/v1/attempt/answers/1",
        json={"option_id": None, "seq": 1},
        headers={"X-CSRF-Token": cand_csrf},
    )
    assert saved.status_code == 409
    cookies = dict(room.client.cookies)
    room.client.cookies.clear()
    csrf = room.invigilate()
    lines = room.client.get(f"/api/v1/sessions/{session['id']}").json()["candidates"]
    assert [(x["candidate_number"], x["admission"]) for x in lines] == [
        ("N001", "awaiting_approval"),
        ("N002", "not_signed_in"),
    ]
    allowed = lines[0]["remaining_seconds"]
    room.clock.advance(minutes=5)  # the wait does not come off the candidate's time
    admitted = room.act(csrf, session["id"], "candidates/N001/admit")
    assert admitted.status_code == 200
    line = admitted.json()["candidates"][0]
    assert (line["admission"], line["status"]) == ("admitted", "in_progress")
    room.client.cookies.clear()
    room.client.cookies.update(cookies)
    paper = room.client.get("/api/v1/attempt").json()
    assert paper["status"] == "in_progress" and paper["remaining_seconds"] == allowed


def test_admission_by_approval_at_the_exam_page_starts_the_clock_at_start(room: Room) -> None:
    """Signed in at the exam page, a candidate admitted by the invigilator reads the
    instructions first: their clock starts when they press Start (or at the session's reading
    limit), not at admission, as without approval."""
    session = room.open_session(["N001", "N002"], approve_admission=True, reading_minutes=3)
    room.client.cookies.clear()
    number = {"candidate_number": "N001", "access_code": code(session, "N001")}
    waiting = room.client.post("/exam", data=number)
    assert waiting.url.path == "/exam/wait" and "Your time has not started" in waiting.text
    page_cookies = dict(room.client.cookies)
    room.client.cookies.clear()
    csrf = room.invigilate()
    allowed = room.client.get(f"/api/v1/sessions/{session['id']}").json()["candidates"][0][
        "remaining_seconds"
    ]
    admitted = room.act(csrf, session["id"], "candidates/N001/admit")
    assert admitted.status_code == 200
    line = admitted.json()["candidates"][0]
    assert (line["admission"], line["status"]) == ("admitted", "not_started")
    assert line["reading_until"] is not None  # on the register: reading the instructions
    room.clock.advance(minutes=2)  # two minutes on the instructions: not exam time
    room.client.cookies.clear()
    room.client.cookies.update(page_cookies)
    instructions = room.client.get("/exam/wait")
    assert instructions.url.path == "/exam/start"
    assert "Your time has not started yet" in instructions.text
    assert room.client.get("/api/v1/attempt/clock").json()["status"] == "not_started"
    started = room.client.post("/exam/start", data={"csrf_token": csrf_of(instructions.text)})
    assert started.url.path == "/exam/q/1"
    paper = room.client.get("/api/v1/attempt").json()
    assert paper["status"] == "in_progress" and paper["remaining_seconds"] == allowed


def test_the_reading_limit_starts_an_admitted_candidates_clock(room: Room) -> None:
    """Admitted and left on the instructions, the clock starts at the reading limit."""
    session = room.open_session(["N001"], approve_admission=True, reading_minutes=3)
    room.client.cookies.clear()
    room.client.post(
        "/exam", data={"candidate_number": "N001", "access_code": code(session, "N001")}
    )
    page_cookies = dict(room.client.cookies)
    room.client.cookies.clear()
    csrf = room.invigilate()
    lines = room.client.get(f"/api/v1/sessions/{session['id']}").json()["candidates"]
    allowed = lines[0]["remaining_seconds"]
    room.act(csrf, session["id"], "candidates/N001/admit")
    room.clock.advance(minutes=4)  # a minute past the limit
    room.client.cookies.clear()
    room.client.cookies.update(page_cookies)
    paper = room.client.get("/api/v1/attempt").json()
    assert paper["status"] == "in_progress" and paper["remaining_seconds"] == allowed - 60


def test_signing_out_ends_the_candidates_cookie_at_once(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    old = dict(room.client.cookies)
    out = room.client.post("/api/v1/attempt/sign-out", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    room.client.cookies.clear()
    room.client.cookies.update(old)  # a copy of the cookie kept from before
    assert room.client.get("/api/v1/attempt").status_code == 401
    assert room.sign_in("N001", code(session, "N001"))  # the code still admits


def test_concurrent_guesses_check_no_more_than_the_limit_and_never_fail(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """60 wrong guesses at once from one address, no device: at most the limit are checked
    (401), the rest are throttled (429), and none is a 500 (no duplicate-key race)."""
    app, codes, _ = live
    barrier = threading.Barrier(60)

    def guess(_: int) -> int:
        with TestClient(app, raise_server_exceptions=False) as client:
            barrier.wait()
            body = {"candidate_number": "K000", "access_code": "WRONGCOD"}
            return client.post(LOGIN, json=body).status_code

    with ThreadPoolExecutor(60) as pool:
        statuses = list(pool.map(guess, range(60)))
    limit = app.state.settings.candidate_device_failures
    assert statuses.count(401) == limit and statuses.count(429) == 60 - limit, statuses
    with TestClient(app) as real:
        body = {"candidate_number": "K000", "access_code": codes["K000"]}
        assert real.cookies.get("examhall_device") is None
        # The room's cookie-less bucket is spent, for wrong codes: the candidate whose code
        # was being guessed still signs in, cookie or none.
        assert real.post(LOGIN, json=body).status_code == 200

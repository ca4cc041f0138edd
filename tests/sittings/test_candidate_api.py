"""The candidate's contract, end to end through the API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.marking.models import Result
from app.sittings import timing
from tests.sittings.conftest import Room, code


def test_schedule_gives_a_readable_code_and_builds_papers(room: Room) -> None:
    session = room.schedule(["N001", "N002"])
    assert session["status"] == "scheduled"
    room_code = session["access_code"]
    assert len(room_code) == 6 and not set(room_code) & set("0O1IL")
    own = {c["candidate_number"]: c["access_code"] for c in session["candidates"]}
    assert sorted(own) == ["N001", "N002"] and len(set(own.values())) == 2
    for personal in own.values():
        assert len(personal) >= 8 and set(personal) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


def test_sign_in_only_while_the_session_is_open(room: Room) -> None:
    session = room.schedule(["N001"])
    body = {"candidate_number": "N001", "access_code": code(session, "N001")}
    assert room.client.post("/api/v1/auth/candidate", json=body).status_code == 409
    csrf = room.invigilate()
    room.act(csrf, session["id"], "start")
    room.client.cookies.clear()
    assert room.client.post("/api/v1/auth/candidate", json=body).status_code == 200
    wrong = room.client.post("/api/v1/auth/candidate", json={**body, "access_code": "ZZZZZZ"})
    assert wrong.status_code == 401
    other = room.client.post("/api/v1/auth/candidate", json={**body, "candidate_number": "N002"})
    assert other.status_code == 401  # not in this session
    csrf = room.invigilate()
    room.act(csrf, session["id"], "close")
    room.client.cookies.clear()
    assert room.client.post("/api/v1/auth/candidate", json=body).status_code == 409


def test_the_code_is_forgiving_about_case_spaces_and_hyphens(room: Room) -> None:
    session = room.open_session(["N001"])
    own = code(session, "N001").lower()
    body = {"candidate_number": "n001", "access_code": f" {own[:4]}-{own[4:]} "}
    assert room.client.post("/api/v1/auth/candidate", json=body).status_code == 200


def test_the_paper_never_reveals_the_key(room: Room) -> None:
    session = room.open_session(["N001"])
    room.sign_in("N001", code(session, "N001"))
    attempt = room.attempt()
    assert attempt["status"] == "in_progress" and attempt["unit"] == "F/503/0358"
    assert len(attempt["items"]) == 15 and attempt["total"] == 15
    text = str(attempt)
    assert "key" not in attempt["items"][0] and "rationale" not in text and "'why'" not in text
    assert all(
        set(q) == {"position", "stem", "options", "answer", "flagged", "seq", "saved_at", "rich"}
        for q in attempt["items"]
    )


def test_remaining_time_follows_the_server_clock_and_extra_time(room: Room) -> None:
    session = room.open_session(["N001", "N006"])
    room.sign_in("N001", code(session, "N001"))
    assert room.attempt()["remaining_seconds"] == 25 * 60
    room.clock.advance(minutes=10)
    assert room.attempt()["remaining_seconds"] == 15 * 60
    room.client.cookies.clear()
    room.sign_in("N006", code(session, "N006"))  # 25% extra time; clock starts at first sign-in
    attempt = room.attempt()
    assert attempt["remaining_seconds"] == 25 * 60 * 125 // 100
    deadline = datetime.fromisoformat(attempt["deadline"])
    assert (deadline - room.clock.now()).total_seconds() == 25 * 60 * 125 // 100


def test_answers_are_saved_once_per_seq(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    first = room.attempt()["items"][0]
    a, b = first["options"][0]["id"], first["options"][1]["id"]
    saved = room.answer(csrf, 1, a, 5)
    assert saved.status_code == 200 and "saved_at" in saved.json()
    assert room.answer(csrf, 1, b, 5).status_code == 200  # replay: acknowledged, ignored
    assert room.answer(csrf, 1, b, 3).status_code == 200  # older: acknowledged, ignored
    assert room.attempt()["items"][0]["answer"] == a
    assert room.answer(csrf, 1, b, 6).status_code == 200
    assert room.attempt()["items"][0]["answer"] == b
    assert room.answer(csrf, 1, None, 7).status_code == 200  # cleared
    assert room.attempt()["items"][0]["answer"] is None
    assert room.attempt()["answered"] == 0


def test_a_millisecond_clock_is_a_good_seq(room: Room) -> None:
    """Some clients number saves by Date.now(): 13 digits, past 32 bits."""
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    first = room.attempt()["items"][0]
    a, b = first["options"][0]["id"], first["options"][1]["id"]
    assert room.answer(csrf, 1, a, 1_795_000_000_001).status_code == 200
    assert room.answer(csrf, 1, b, 1_795_000_000_000).status_code == 200  # older: ignored
    assert room.attempt()["items"][0]["answer"] == a
    assert room.answer(csrf, 1, b, 2**63 - 1).status_code == 200
    assert room.attempt()["items"][0]["answer"] == b
    assert room.answer(csrf, 1, a, 2**63).status_code == 422


def test_bad_saves_are_refused_and_change_nothing(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    first = room.attempt()["items"][0]["options"][0]["id"]
    assert room.answer(csrf, 1, "nope", 1).status_code == 422
    assert room.answer(csrf, 99, first, 1).status_code == 404
    assert room.answer(csrf, 1, first, -1).status_code == 422
    no_csrf = room.client.put("/api/v1/attempt/answers/1", json={"option_id": first, "seq": 1})
    assert no_csrf.status_code == 403
    assert (
        room.client.put(
            "/api/v1/attempt/answers/1",
            content=b"{",
            headers={"X-CSRF-Token": csrf, "content-type": "application/json"},
        ).status_code
        == 400
    )
    for seq in (True, "7", 7.5):  # JSON's true is not 1, nor "7" 7
        loose = room.client.put(
            "/api/v1/attempt/answers/1",
            json={"option_id": first, "seq": seq},
            headers={"X-CSRF-Token": csrf},
        )
        assert loose.status_code == 422, seq
    assert room.attempt()["items"][0]["answer"] is None


def test_flags(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    response = room.client.put(
        "/api/v1/attempt/flags/3", json={"flagged": True}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200 and response.json() == {"position": 3, "flagged": True}
    assert room.attempt()["items"][2]["flagged"] is True
    for loose in ("no", "yes", 0, 1, None):
        refused = room.client.put(
            "/api/v1/attempt/flags/3", json={"flagged": loose}, headers={"X-CSRF-Token": csrf}
        )
        assert refused.status_code == 422, loose
    assert room.attempt()["items"][2]["flagged"] is True


def test_submit_marks_once_and_is_idempotent(room: Room, db: Session) -> None:
    session = room.open_session(["N001"])
    csrf, attempt_id = room.sign_in("N001", code(session, "N001"))
    keys = room.keys()
    items = room.attempt()["items"]
    for q in items[:12]:  # 12 right answers of 15: 80%, a pass at 70
        key = keys[q["options"][0]["id"]]
        room.answer(csrf, q["position"], key, 1)
    for _ in range(2):
        response = room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200 and response.json() == {"status": "submitted"}
    assert (
        db.scalar(select(func.count()).select_from(Result).where(Result.attempt_id == attempt_id))
        == 1
    )
    assert room.answer(csrf, 1, items[0]["options"][0]["id"], 99).status_code == 409
    [result] = room.results()["results"]
    assert (result["score"], result["max_score"], result["percent"], result["outcome"]) == (
        12,
        15,
        80.0,
        "pass",
    )
    assert result["submitted_by"] == "candidate" and result["candidate_number"] == "N001"
    assert sum(o["max_score"] for o in result["by_learning_outcome"]) == 15
    assert [o["number"] for o in result["by_learning_outcome"]] == [1, 2]


def test_the_pass_mark_compares_the_exact_percent(room: Room) -> None:
    # 10 of 15 is 66.67%: below a 70% pass mark, though it rounds to 67.
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    keys = room.keys()
    for q in room.attempt()["items"][:10]:
        room.answer(csrf, q["position"], keys[q["options"][0]["id"]], 1)
    room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    [result] = room.results()["results"]
    assert (result["percent"], result["outcome"]) == (66.67, "fail")


def test_after_the_deadline_the_attempt_is_submitted_as_a_timeout(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    option = room.attempt()["items"][0]["options"][0]["id"]
    started = room.clock.now()
    # Past zero but inside the grace: a save that was in flight lands.
    room.clock.advance(minutes=25, seconds=timing.GRACE.total_seconds() - 1)
    assert room.answer(csrf, 1, option, 1).status_code == 200
    room.clock.advance(seconds=2)
    assert room.answer(csrf, 2, option, 1).status_code == 409
    # Nothing else touched the attempt; the results API shows it as a timeout at the deadline.
    [result] = room.results()["results"]
    assert result["submitted_by"] == "timeout"
    assert (datetime.fromisoformat(result["submitted_at"]) - started).total_seconds() == 25 * 60
    assert room.attempt()["status"] == "submitted"


def test_a_late_submit_counts_as_timeout(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    room.clock.advance(minutes=25, seconds=2)
    room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    assert room.results()["results"][0]["submitted_by"] == "timeout"


def test_candidate_cookie_reaches_only_its_own_attempt(room: Room) -> None:
    session = room.open_session(["N001", "N002"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    assert room.client.get(f"/api/v1/sessions/{session['id']}").status_code == 403
    assert (
        room.client.post("/api/v1/sessions", json={}, headers={"X-CSRF-Token": csrf}).status_code
        == 403  # a valid credential of the wrong kind
    )
    room.client.cookies.clear()
    assert room.client.get("/api/v1/attempt").status_code == 401


def test_hostile_values_are_4xx_never_500(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    option = room.attempt()["items"][0]["options"][0]["id"]
    assert room.answer(csrf, 10**30, option, 1).status_code == 422
    assert room.answer(csrf, 0, option, 1).status_code == 422
    assert room.answer(csrf, 1, "a\x00b", 1).status_code in (400, 422)
    assert room.client.get("/api/v1/sessions/99999999999999999999").status_code in (403, 422)
    body = {"candidate_number": "N\x00", "centre": "C0042", "first_name": "A\x00", "last_name": "B"}
    assert room.client.post("/api/v1/candidates", json=body, headers=room.admin()).status_code in (
        400,
        422,
    )
    body = {"candidate_number": "N900", "centre": "C0042", "first_name": "A\x00", "last_name": "B"}
    assert room.client.post("/api/v1/candidates", json=body, headers=room.admin()).status_code in (
        400,
        422,
    )
    assert room.client.get(
        "/api/v1/candidates/%00/achievement", headers=room.admin()
    ).status_code in (400, 404)
    login = {"candidate_number": "N\x00", "access_code": "\x00"}
    assert room.client.post("/api/v1/auth/candidate", json=login).status_code == 422

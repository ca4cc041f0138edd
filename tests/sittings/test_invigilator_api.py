"""The invigilator's contract: register, start, pause, time, incidents, close; own centre only."""

from __future__ import annotations

from tests.sittings.conftest import Room, code


def register(room: Room, session_id: int) -> dict[str, dict[str, object]]:
    body = room.client.get(f"/api/v1/sessions/{session_id}").json()
    return {c["candidate_number"]: c for c in body["candidates"]}


def test_register_shows_every_candidate(room: Room) -> None:
    session = room.schedule(["N001", "N002"])
    room.invigilate()
    body = room.client.get(f"/api/v1/sessions/{session['id']}").json()
    assert (body["status"], body["unit"], body["centre"], body["access_code"]) == (
        "scheduled",
        "F/503/0358",
        "C0042",
        session["access_code"],
    )
    line = body["candidates"][0]
    assert line["candidate_number"] == "N001" and line["name"] == "Cand Number1"
    assert (line["status"], line["answered"], line["total"], line["remaining_seconds"]) == (
        "not_started",
        0,
        15,
        1500,
    )


def test_pause_stops_the_clock_and_blocks_saves(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf_c, _ = room.sign_in("N001", code(session, "N001"))
    option = room.attempt()["items"][0]["options"][0]["id"]
    cookies = dict(room.client.cookies)
    room.clock.advance(minutes=5)
    staff = room.invigilate()
    paused = room.act(staff, session["id"], "candidates/N001/pause")
    assert paused.status_code == 200
    assert paused.json()["candidates"][0]["status"] == "paused"
    room.clock.advance(minutes=7)  # the fire alarm
    assert register(room, session["id"])["N001"]["remaining_seconds"] == 20 * 60
    room.client.cookies.clear()
    room.client.cookies.update(cookies)
    assert room.answer(csrf_c, 1, option, 1).status_code == 409
    staff = room.invigilate()
    assert room.act(staff, session["id"], "candidates/N001/resume").status_code == 200
    room.clock.advance(minutes=1)
    assert register(room, session["id"])["N001"]["remaining_seconds"] == 19 * 60
    room.client.cookies.clear()
    room.client.cookies.update(cookies)
    assert room.answer(csrf_c, 1, option, 1).status_code == 200


def test_extra_time(room: Room) -> None:
    session = room.open_session(["N001"])
    room.sign_in("N001", code(session, "N001"))
    staff = room.invigilate()
    response = room.act(staff, session["id"], "candidates/N001/extra-time", {"minutes": 10})
    assert response.status_code == 200
    assert response.json()["candidates"][0]["remaining_seconds"] == 35 * 60
    assert (
        room.act(staff, session["id"], "candidates/N001/extra-time", {"minutes": 0}).status_code
        == 422
    )
    assert (
        room.act(staff, session["id"], "candidates/NOBODY/extra-time", {"minutes": 5}).status_code
        == 404
    )
    # true is not a minute, nor "5" five (found by a new user's trial: both added time)
    for minutes in (True, "5"):
        loose = room.act(staff, session["id"], "candidates/N001/extra-time", {"minutes": minutes})
        assert loose.status_code == 422, minutes
    register = room.client.get(f"/api/v1/sessions/{session['id']}").json()
    assert register["candidates"][0]["remaining_seconds"] == 35 * 60


def test_incidents(room: Room) -> None:
    session = room.open_session(["N001"])
    staff = room.invigilate()
    response = room.act(
        staff, session["id"], "incidents", {"candidate_number": "N001", "note": "Felt unwell"}
    )
    assert response.status_code == 201
    assert (
        response.json()["candidate_number"] == "N001" and response.json()["note"] == "Felt unwell"
    )
    assert (
        room.act(
            staff, session["id"], "incidents", {"note": "Fire alarm", "category": "fire_alarm"}
        ).status_code
        == 201
    )
    assert room.act(staff, session["id"], "incidents", {"note": ""}).status_code == 422


def test_close_submits_everyone_sitting_as_it_stands(room: Room) -> None:
    session = room.open_session(["N001", "N002", "N003"])
    room.sign_in("N001", code(session, "N001"))
    room.client.cookies.clear()
    room.sign_in("N002", code(session, "N002"))
    room.client.cookies.clear()
    staff = room.invigilate()
    room.act(staff, session["id"], "candidates/N002/pause")
    closed = room.act(staff, session["id"], "close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    statuses = {c["candidate_number"]: c["status"] for c in closed.json()["candidates"]}
    assert statuses == {"N001": "submitted", "N002": "submitted", "N003": "not_started"}
    results = room.results()["results"]
    assert {r["candidate_number"]: r["submitted_by"] for r in results} == {
        "N001": "invigilator",
        "N002": "invigilator",
    }
    assert room.act(staff, session["id"], "start").status_code == 409
    # A closed room changes no more (a new user's trial added time to N003 after the close),
    # but malpractice found later can still be voided and an incident still written down.
    for action, body in (
        ("candidates/N003/extra-time", {"minutes": 5}),
        ("candidates/N003/pause", None),
        ("candidates/N002/resume", None),
        ("candidates/N003/admit", None),
        ("candidates/N001/readmit", {"reason": "Moved desks"}),
    ):
        refused = room.act(staff, session["id"], action, body)
        assert refused.status_code == 409, action
        assert "closed" in refused.json()["detail"]
    register = room.client.get(f"/api/v1/sessions/{session['id']}").json()["candidates"]
    assert {c["candidate_number"]: c["status"] for c in register} == statuses
    assert next(c for c in register if c["candidate_number"] == "N003")["remaining_seconds"] == (
        25 * 60
    )
    late = {"candidate_number": "N001", "note": "Notes found in the bin after the close"}
    assert room.act(staff, session["id"], "incidents", late).status_code == 201
    void = room.act(staff, session["id"], "candidates/N001/void", {"reason": "Malpractice"})
    assert void.status_code == 200


def test_another_centre_cannot_see_or_act(room: Room) -> None:
    session = room.open_session(["N001"])
    staff = room.invigilate("C0099", "yves")
    assert room.client.get(f"/api/v1/sessions/{session['id']}").status_code == 404
    assert room.act(staff, session["id"], "close").status_code == 404
    assert room.act(staff, session["id"], "candidates/N001/pause").status_code == 404
    assert room.client.get("/api/v1/sessions").json() == []


def test_an_awarding_body_token_is_not_an_invigilator(room: Room) -> None:
    session = room.schedule(["N001"])
    url = f"/api/v1/sessions/{session['id']}"
    assert room.client.get(url, headers=room.admin()).status_code == 403
    assert room.client.post(f"{url}/start", headers=room.admin()).status_code == 403
    bad = {"Authorization": "Bearer not-a-token"}
    assert room.client.get(url, headers=bad).status_code == 401
    assert room.client.get(url).status_code == 401


def test_actions_need_the_csrf_header(room: Room) -> None:
    session = room.schedule(["N001"])
    room.invigilate()
    assert room.client.post(f"/api/v1/sessions/{session['id']}/start").status_code == 403


def test_pausing_someone_not_sitting_is_a_conflict(room: Room) -> None:
    session = room.open_session(["N001"])
    staff = room.invigilate()
    assert room.act(staff, session["id"], "candidates/N001/pause").status_code == 409


def test_room_pause_and_resume(room: Room) -> None:
    session = room.open_session(["N001", "N002", "N003"])
    for n in ("N001", "N002"):
        room.sign_in(n, code(session, n))
        room.client.cookies.clear()
    staff = room.invigilate()
    paused = room.act(staff, session["id"], "pause")
    assert paused.status_code == 200
    assert [c["status"] for c in paused.json()["candidates"]] == ["paused", "paused", "not_started"]
    room.clock.advance(minutes=10)
    resumed = room.act(staff, session["id"], "resume").json()["candidates"]
    assert [c["status"] for c in resumed] == ["in_progress", "in_progress", "not_started"]
    assert resumed[0]["remaining_seconds"] == 25 * 60


def test_a_room_acts_only_while_its_session_is_open(room: Room) -> None:
    """A closed room took a pause, answered 200, and its journal gained an entry after the
    close (a trial)."""
    scheduled = room.schedule(["N001"])
    staff = room.invigilate()
    for action in ("pause", "resume"):
        refused = room.act(staff, scheduled["id"], action)
        assert refused.status_code == 409 and "not started yet" in refused.json()["detail"]
    assert room.act(staff, scheduled["id"], "start").status_code == 200
    assert room.act(staff, scheduled["id"], "close").status_code == 200
    entries = room.client.get(f"/api/v1/sessions/{scheduled['id']}/journal", headers=room.admin())
    before = len(entries.json()["entries"])
    for action in ("pause", "resume"):
        refused = room.act(staff, scheduled["id"], action)
        assert refused.status_code == 409 and refused.json()["type"].endswith("session-not-open")
    entries = room.client.get(f"/api/v1/sessions/{scheduled['id']}/journal", headers=room.admin())
    assert len(entries.json()["entries"]) == before


def test_void_stops_an_attempt_and_a_voided_result_no_longer_counts(room: Room) -> None:
    session = room.open_session(["N001", "N002"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    keys = room.keys()
    for q in room.attempt()["items"]:
        room.answer(csrf, q["position"], keys[q["options"][0]["id"]], 1)
    room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    room.client.cookies.clear()
    room.sign_in("N002", code(session, "N002"))
    room.client.cookies.clear()
    staff = room.invigilate()
    assert room.act(staff, session["id"], "candidates/N002/void", {"reason": ""}).status_code == 422
    body = room.act(staff, session["id"], "candidates/N002/void", {"reason": "Phone in use"}).json()
    assert {c["candidate_number"]: c["status"] for c in body["candidates"]}["N002"] == "voided"
    room.act(staff, session["id"], "candidates/N001/void", {"reason": "Notes found after the exam"})
    results = room.results()["results"]
    assert [(r["candidate_number"], r["voided"]) for r in results] == [
        ("N001", True)
    ]  # N002: no result
    achievement = room.client.get(
        "/api/v1/candidates/N001/achievement", headers=room.admin()
    ).json()
    assert achievement["units"] == []
    room.client.cookies.clear()
    login = {"candidate_number": "N002", "access_code": code(session, "N002")}
    assert room.client.post("/api/v1/auth/candidate", json=login).status_code == 409


def test_time_lost_to_a_disconnection_is_shown_not_credited(room: Room) -> None:
    session = room.open_session(["N001"])
    room.sign_in("N001", code(session, "N001"))
    cookies = dict(room.client.cookies)
    room.clock.advance(minutes=2)  # the page went quiet
    room.client.cookies.clear()
    staff = room.invigilate()
    line = room.client.get(f"/api/v1/sessions/{session['id']}").json()["candidates"][0]
    assert line["disconnected"] is True and line["remaining_seconds"] == 23 * 60
    room.client.cookies.clear()
    room.client.cookies.update(cookies)
    assert (
        room.client.get("/api/v1/attempt/clock").json()["remaining_seconds"] == 23 * 60
    )  # not credited
    room.client.cookies.clear()
    staff = room.invigilate()
    response = room.client.get(f"/api/v1/sessions/{session['id']}")
    assert response.status_code == 200, response.text
    line = response.json()["candidates"][0]
    assert line["disconnected"] is False and line["lost_seconds"] == 120
    extra = room.act(
        staff, session["id"], "candidates/N001/extra-time", {"minutes": 2, "reason": "lost network"}
    )
    assert extra.json()["candidates"][0]["remaining_seconds"] == 25 * 60

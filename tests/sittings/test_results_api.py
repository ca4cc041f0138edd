"""GET /results: recording order, a stable opaque cursor, filters."""

from __future__ import annotations

from tests.sittings.conftest import Room


def sit_and_submit(room: Room, code: str, number: str) -> None:
    room.client.cookies.clear()
    csrf, _ = room.sign_in(number, code)
    room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    room.client.cookies.clear()


def test_paging_never_misses_or_repeats(room: Room) -> None:
    session = room.open_session(["N001", "N002", "N003", "N004", "N005"])
    for n in ("N003", "N001", "N005"):
        sit_and_submit(room, session["access_code"], n)
    page = room.results(limit=2)
    assert [r["candidate_number"] for r in page["results"]] == ["N003", "N001"]  # recording order
    cursor = page["next_cursor"]
    for n in ("N002", "N004"):
        sit_and_submit(room, session["access_code"], n)
    seen = [r["candidate_number"] for r in page["results"]]
    while True:
        page = room.results(after=cursor, limit=2)
        if not page["results"]:
            assert page["next_cursor"] == cursor  # an empty page hands back the cursor given
            break
        seen += [r["candidate_number"] for r in page["results"]]
        cursor = page["next_cursor"]
    assert seen == ["N003", "N001", "N005", "N002", "N004"]


def test_empty_first_page_has_a_null_cursor(room: Room) -> None:
    assert room.results() == {"results": [], "next_cursor": None}


def test_filters(room: Room) -> None:
    session = room.open_session(["N001"])
    sit_and_submit(room, session["access_code"], "N001")
    assert len(room.results(centre="C0042")["results"]) == 1
    assert room.results(centre="C0099")["results"] == []
    assert len(room.results(unit="F/503/0358")["results"]) == 1
    assert len(room.results(unit="F-503-0358")["results"]) == 1
    assert room.results(unit="D/601/7644")["results"] == []


def test_bad_parameters_are_400_or_404(room: Room) -> None:
    for params, status in (
        ({"after": "garbage!"}, 400),
        ({"limit": 0}, 400),
        ({"limit": 1001}, 400),
        ({"limit": "x"}, 422),
        ({"unit": "nonsense"}, 404),
    ):
        response = room.client.get("/api/v1/results", params=params, headers=room.admin())
        assert response.status_code == status, params


def test_a_passed_exam_counts_towards_achievement(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", session["access_code"])
    keys = room.keys()
    for q in room.attempt()["items"]:
        room.answer(csrf, q["position"], keys[q["options"][0]["id"]], 1)
    room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    body = room.client.get("/api/v1/candidates/N001/achievement", headers=room.admin()).json()
    assert body["units"] == [
        {
            "unit": "F/503/0358",
            "level": 3,
            "credits": 2,
            "group": "A",
            "method": "exam",
            "counted": True,
        }
    ]

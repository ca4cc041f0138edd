"""GET /results: recording order, a stable opaque cursor, filters."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.auth import tokens
from tests.factories import bearer
from tests.sittings.conftest import Room, code


def sit_and_submit(room: Room, code: str, number: str) -> None:
    room.client.cookies.clear()
    csrf, _ = room.sign_in(number, code)
    room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    room.client.cookies.clear()


def test_paging_never_misses_or_repeats(room: Room) -> None:
    session = room.open_session(["N001", "N002", "N003", "N004", "N005"])
    for n in ("N003", "N001", "N005"):
        sit_and_submit(room, code(session, n), n)
    page = room.results(limit=2)
    assert [r["candidate_number"] for r in page["results"]] == ["N003", "N001"]  # recording order
    cursor = page["next_cursor"]
    for n in ("N002", "N004"):
        sit_and_submit(room, code(session, n), n)
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
    sit_and_submit(room, code(session, "N001"), "N001")
    assert len(room.results(centre="C0042")["results"]) == 1
    assert len(room.results(centre="c0042")["results"]) == 1  # a code in any case, as elsewhere
    assert room.results(centre="C0099")["results"] == []
    assert len(room.results(unit="F/503/0358")["results"]) == 1
    assert len(room.results(unit="F-503-0358")["results"]) == 1
    assert room.results(unit="D/601/7644")["results"] == []


@pytest.mark.parametrize("path", ["/api/v1/results", "/api/v1/results/corrections"])
@pytest.mark.parametrize(
    ("params", "detail"),
    [({"centre": "NOPE"}, "No centre NOPE"), ({"unit": "Z/999/9999"}, "Z/999/9999")],
)
def test_an_unknown_centre_or_unit_is_a_404_not_an_empty_feed(
    room: Room, path: str, params: dict[str, str], detail: str
) -> None:
    # A typo in a filter would otherwise read as "nothing yet" to a puller, for ever.
    response = room.client.get(path, params=params, headers=room.admin())
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_bad_parameters_are_4xx_problems(room: Room) -> None:
    for params, status in (
        ({"after": "garbage!"}, 400),
        ({"limit": 0}, 422),
        ({"limit": 1001}, 422),
        ({"limit": "x"}, 422),
        ({"unit": "nonsense"}, 404),
    ):
        response = room.client.get("/api/v1/results", params=params, headers=room.admin())
        assert response.status_code == status, params


def test_a_passed_exam_counts_towards_achievement(room: Room) -> None:
    session = room.open_session(["N001"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
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
            "not_counted_because": None,
        }
    ]


def corrections(room: Room, **params: Any) -> dict[str, Any]:
    response = room.client.get("/api/v1/results/corrections", params=params, headers=room.admin())
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_result_voided_after_it_was_pulled_comes_through_the_corrections_feed(
    room: Room,
) -> None:
    session = room.open_session(["N001", "N002", "N003"])
    for n in ("N001", "N002", "N003"):
        sit_and_submit(room, code(session, n), n)
    pulled = room.results()
    assert [r["voided"] for r in pulled["results"]] == [False, False, False]
    assert corrections(room) == {"corrections": [], "next_cursor": None}

    staff = room.invigilate()
    for n, reason in (("N002", "Notes found after the exam"), ("N001", "Impersonation")):
        assert room.act(staff, session["id"], f"candidates/{n}/void", {"reason": reason}).is_success
    room.act(staff, session["id"], "candidates/N002/void", {"reason": "again"})  # no-op
    room.client.cookies.clear()

    # The results feed does not repeat them; the corrections feed carries the change, in order.
    assert room.results(after=pulled["next_cursor"])["results"] == []
    page = corrections(room, limit=1)
    first = page["corrections"]
    assert [(c["kind"], c["reason"], c["result"]["candidate_number"]) for c in first] == [
        ("voided", "Notes found after the exam", "N002")
    ]
    assert first[0]["result"]["voided"] is True and first[0]["recorded_at"]
    rest = corrections(room, after=page["next_cursor"])
    assert [c["result"]["candidate_number"] for c in rest["corrections"]] == ["N001"]
    empty = corrections(room, after=rest["next_cursor"])
    assert empty == {"corrections": [], "next_cursor": rest["next_cursor"]}
    assert corrections(room, centre="C0099")["corrections"] == []
    assert len(corrections(room, centre="c0042")["corrections"]) == 2
    assert len(corrections(room, unit="F-503-0358")["corrections"]) == 2


def test_the_corrections_feed_refuses_bad_parameters(room: Room) -> None:
    results_cursor = "cjE6MQ"  # "r1:1": a results cursor is not a corrections cursor
    for params, status in (
        ({"after": results_cursor}, 400),
        ({"after": "garbage!"}, 400),
        ({"limit": 0}, 422),
        ({"limit": "x"}, 422),
        ({"unit": "nonsense"}, 404),
    ):
        response = room.client.get(
            "/api/v1/results/corrections", params=params, headers=room.admin()
        )
        assert response.status_code == status, params
        assert response.headers["content-type"].startswith("application/problem+json")
    assert room.client.get("/api/v1/results/corrections").status_code == 401


def test_a_results_reader_may_pull_corrections(room: Room, db: Session) -> None:
    _, reader = tokens.create_token(db, "puller", [tokens.RESULTS_READ], room.clock.now())
    response = room.client.get("/api/v1/results/corrections", headers=bearer(reader))
    assert response.status_code == 200 and response.json()["corrections"] == []

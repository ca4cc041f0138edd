"""A valid credential of the wrong kind is 403 (authenticated, not allowed); none is 401."""

from __future__ import annotations

from tests.sittings.conftest import Room, code


def _type(response: object) -> str:
    return str(response.json()["type"]).rsplit("/", 1)[-1]  # type: ignore[attr-defined]


def test_each_kind_of_caller_on_the_others_routes(room: Room) -> None:
    session = room.open_session(["N001"])
    client = room.client
    # Nobody: 401 everywhere.
    assert client.get("/api/v1/results").status_code == 401
    assert client.get("/api/v1/attempt").status_code == 401
    assert client.get(f"/api/v1/sessions/{session['id']}").status_code == 401
    # A candidate on the awarding body's and the invigilator's routes.
    room.sign_in("N001", code(session, "N001"))
    for path in ("/api/v1/results", f"/api/v1/sessions/{session['id']}"):
        refused = client.get(path)
        assert (refused.status_code, _type(refused)) == (403, "forbidden"), path
    client.cookies.clear()
    # An invigilator on the candidate's and the awarding body's routes.
    room.invigilate()
    for path in ("/api/v1/attempt", "/api/v1/results"):
        refused = client.get(path)
        assert (refused.status_code, _type(refused)) == (403, "forbidden"), path
    client.cookies.clear()
    # The awarding body on the candidate's and the invigilator's routes.
    for path in ("/api/v1/attempt", f"/api/v1/sessions/{session['id']}"):
        refused = client.get(path, headers=room.admin())
        assert (refused.status_code, _type(refused)) == (403, "forbidden"), path

"""The standard-setting API: the panel's workflow, and a 4xx for every bad input."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth import tokens
from app.journal import service as journal
from app.staff import service as staff
from app.standards import repository
from tests.factories import PASSWORD, bearer
from tests.standards.conftest import PATH_URN, Room, calibrate, exclude, live_versions, unit_id

BASE = "/api/v1/standard-exercises"


def create(room: Room, **body: Any) -> dict[str, Any]:
    body = {"method": "angoff", "title": "Winter panel", **body}
    response = room.client.post(
        f"/api/v1/units/{PATH_URN}/standard-exercises", json=body, headers=room.admin()
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def post(room: Room, path: str, body: Any) -> Any:
    return room.client.post(f"{BASE}/{path}", json=body, headers=room.admin())


def judge(room: Room, exercise: int, name: str) -> int:
    response = post(room, f"{exercise}/judges", {"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def angoff(room: Room, exercise: dict[str, Any], judge_id: int, p: str) -> Any:
    probabilities = {str(i["item_version_id"]): p for i in exercise["items"]}
    return post(
        room, f"{exercise['id']}/judgements", {"judge_id": judge_id, "probabilities": probabilities}
    )


def test_default_reference_set_covers_every_criterion(room: Room, db: Session) -> None:
    exercise = create(room)
    assert len(exercise["items"]) == 15  # the test spec's paper length
    criteria = {i["criterion"] for i in exercise["items"]}
    in_unit = {ref for _, _, ref in repository.live_versions(db, unit_id(db))}
    assert len(in_unit) == 11 and criteria == in_unit  # 15 items reach all 11 criteria
    assert set(i["item_version_id"] for i in exercise["items"]) <= set(live_versions(db))
    assert exercise["round"] == 1 and exercise["cut"] is None


def test_angoff_rounds_impact_and_sign_off(room: Room, db: Session) -> None:
    versions = live_versions(db)
    calibrate(db, unit_id(db), {v: 0.0 for v in versions}, room.clock.now())
    exercise = create(room, items=versions[:10])
    ann, bob = judge(room, exercise["id"], "Ann"), judge(room, exercise["id"], "Bob")
    assert angoff(room, exercise, ann, "0.6").status_code == 201
    assert angoff(room, exercise, bob, "0.7").status_code == 201
    impact = room.client.get(f"{BASE}/{exercise['id']}/impact", headers=room.admin()).json()
    assert impact["basis"] == "scale" and impact["results"] == 0
    assert [j["raw"] for j in impact["judges"]] == [6.0, 7.0]
    assert impact["panel"]["raw"] == 6.5 and impact["panel"]["percent"] == 65.0
    assert impact["panel"]["pass_rate"] is None  # nobody to count yet
    # all items at b = 0: 10 / (1 + e^-theta) = 6.5 -> theta = ln(6.5 / 3.5)
    assert abs(impact["panel"]["theta"] - 0.619039208) < 1e-6
    # round 2: Ann moves up; round 1 stays as it was
    assert post(room, f"{exercise['id']}/rounds", None).json()["round"] == 2
    assert angoff(room, exercise, ann, "0.7").status_code == 201
    round2 = room.client.get(f"{BASE}/{exercise['id']}/impact", headers=room.admin()).json()
    assert round2["round"] == 2 and [j["who"] for j in round2["judges"]] == ["Ann"]
    assert round2["panel"]["raw"] == 7.0
    again = room.client.get(f"{BASE}/{exercise['id']}/impact?round=1", headers=room.admin())
    assert again.json()["panel"]["raw"] == 6.5
    signed = post(room, f"{exercise['id']}/sign-off", {"rationale": "Panel agreed", "round": 1})
    assert signed.status_code == 200, signed.text
    cut = signed.json()
    assert cut["percent"] == 65.0 and abs(cut["theta"] - 0.619039208) < 1e-6
    assert cut["superseded"] is False and cut["decided_by"] == "awarding-body"
    # journalled on the unit's own chain
    entries = journal.chain_entries(db, journal.unit_chain(unit_id(db)))
    assert [e.event for e in entries] == ["standard_signed_off"]
    assert entries[0].data["cut"] == cut["id"] and entries[0].data["rationale"] == "Panel agreed"
    assert journal.verify(db)[1] == []
    # a second decision supersedes the first
    second = create(room, items=versions[:10])
    j = judge(room, second["id"], "Cy")
    angoff(room, second, j, "0.5")
    assert post(room, f"{second['id']}/sign-off", {"rationale": "Re-set"}).status_code == 200
    cuts = room.client.get(f"/api/v1/units/{PATH_URN}/cuts", headers=room.admin()).json()
    assert [c["superseded"] for c in cuts] == [True, False]


def test_staff_judges(room: Room, db: Session) -> None:
    staff.create(db, room.clock.now(), username="pat.panel", role="exam_officer", password=PASSWORD)
    db.flush()
    exercise = create(room)
    response = post(room, f"{exercise['id']}/judges", {"staff_username": "Pat.Panel"})
    assert response.status_code == 201
    assert response.json()["name"] == "pat.panel"
    assert response.json()["staff_username"] == "pat.panel"


def test_every_bad_input_is_a_4xx_and_changes_nothing(room: Room, db: Session) -> None:
    versions = live_versions(db)
    exercise = create(room, items=versions[:4])
    eid = exercise["id"]
    ann = judge(room, eid, "Ann")
    checks = [
        (
            room.client.post(
                "/api/v1/units/Z-999-9999/standard-exercises",
                json={"method": "angoff", "title": "x"},
                headers=room.admin(),
            ),
            404,
        ),
        (
            room.client.post(
                f"/api/v1/units/{PATH_URN}/standard-exercises",
                json={"method": "guess", "title": "x"},
                headers=room.admin(),
            ),
            422,
        ),
        (
            room.client.post(
                f"/api/v1/units/{PATH_URN}/standard-exercises",
                json={"method": "angoff", "title": ""},
                headers=room.admin(),
            ),
            422,
        ),
        (
            room.client.post(
                f"/api/v1/units/{PATH_URN}/standard-exercises",
                json={"method": "angoff", "title": "x", "items": []},
                headers=room.admin(),
            ),
            422,
        ),
        (
            room.client.post(
                f"/api/v1/units/{PATH_URN}/standard-exercises",
                json={"method": "angoff", "title": "x", "items": [versions[0], versions[0]]},
                headers=room.admin(),
            ),
            422,
        ),
        (
            room.client.post(
                f"/api/v1/units/{PATH_URN}/standard-exercises",
                json={"method": "angoff", "title": "x", "items": [2**31 - 1]},
                headers=room.admin(),
            ),
            422,
        ),
        (room.client.get(f"{BASE}/999999", headers=room.admin()), 404),
        (room.client.get(f"{BASE}/0", headers=room.admin()), 422),
        (room.client.get(f"{BASE}/99999999999", headers=room.admin()), 422),
        (post(room, "999999/judges", {"name": "X"}), 404),
        (post(room, f"{eid}/judges", {}), 422),
        (post(room, f"{eid}/judges", {"name": "Ann"}), 409),
        (post(room, f"{eid}/judges", {"staff_username": "nobody"}), 422),
        (post(room, f"{eid}/judgements", {"judge_id": 999999, "probabilities": {}}), 404),
        (
            post(
                room,
                f"{eid}/judgements",
                {"judge_id": ann, "probabilities": {str(v): "1.5" for v in versions[:4]}},
            ),
            422,
        ),
        (
            post(
                room,
                f"{eid}/judgements",
                {"judge_id": ann, "probabilities": {str(v): "-0.1" for v in versions[:4]}},
            ),
            422,
        ),
        (
            post(
                room,
                f"{eid}/judgements",
                {"judge_id": ann, "probabilities": {str(v): "NaN" for v in versions[:4]}},
            ),
            422,
        ),
        (
            post(
                room,
                f"{eid}/judgements",
                {"judge_id": ann, "probabilities": {str(v): "0.5" for v in versions[:3]}},
            ),
            422,
        ),
        (
            post(
                room,
                f"{eid}/judgements",
                {"judge_id": ann, "probabilities": {str(v): "0.5" for v in versions[:5]}},
            ),
            422,
        ),
        (
            post(
                room,
                f"{eid}/judgements",
                {"judge_id": ann, "k_min": 50, "k_max": 70, "f_min": 0, "f_max": 10},
            ),
            422,
        ),
        (
            post(
                room,
                f"{eid}/judgements",
                {
                    "judge_id": ann,
                    "round": 2,
                    "probabilities": {str(v): "0.5" for v in versions[:4]},
                },
            ),
            409,
        ),
        (post(room, f"{eid}/judgements", {"judge_id": ann, "probabilities": "lots"}), 422),
        (post(room, f"{eid}/judgements", "not an object"), 422),
        (post(room, f"{eid}/rounds", None), 409),  # no judgements in round 1 yet
        (post(room, f"{eid}/sign-off", {"rationale": "x"}), 409),  # nothing to decide on
        (post(room, f"{eid}/sign-off", {"rationale": ""}), 422),
        (room.client.get(f"{BASE}/{eid}/impact?round=5", headers=room.admin()), 404),
        (room.client.get(f"{BASE}/{eid}/impact?round=0", headers=room.admin()), 422),
        (room.client.get("/api/v1/units/nonsense/cuts", headers=room.admin()), 404),
    ]
    for response, status in checks:
        assert response.status_code == status, (response.request.url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    # Ebel and Hofstee have their own shapes
    ebel = create(room, method="ebel", items=versions[:2])
    e_judge = judge(room, ebel["id"], "Eve")
    cats = {str(versions[0]): "easy/essential", str(versions[1]): "hard/important"}
    no_pct = post(
        room,
        f"{ebel['id']}/judgements",
        {"judge_id": e_judge, "categories": cats, "percentages": {"easy/essential": 90}},
    )
    assert no_pct.status_code == 422
    bad_cell = post(
        room,
        f"{ebel['id']}/judgements",
        {
            "judge_id": e_judge,
            "categories": {**cats, str(versions[0]): "easy/vital"},
            "percentages": {},
        },
    )
    assert bad_cell.status_code == 422
    hof = create(room, method="hofstee", items=versions[:2])
    h_judge = judge(room, hof["id"], "Hal")
    upside = post(
        room,
        f"{hof['id']}/judgements",
        {"judge_id": h_judge, "k_min": 70, "k_max": 50, "f_min": 0, "f_max": 10},
    )
    assert upside.status_code == 422
    missing = post(room, f"{hof['id']}/judgements", {"judge_id": h_judge, "k_min": 50, "k_max": 70})
    assert missing.status_code == 422
    ok = post(
        room,
        f"{hof['id']}/judgements",
        {"judge_id": h_judge, "k_min": 50, "k_max": 70, "f_min": 0, "f_max": 10},
    )
    assert ok.status_code == 201
    no_results = post(room, f"{hof['id']}/sign-off", {"rationale": "x"})
    assert no_results.status_code == 409 and "results" in no_results.json()["detail"]
    # nothing was stored by any refusal
    assert room.client.get(f"{BASE}/{eid}", headers=room.admin()).json()["judges"] == [
        {"id": ann, "name": "Ann", "staff_username": None}
    ]
    assert room.client.get(f"/api/v1/units/{PATH_URN}/cuts", headers=room.admin()).json() == []


def test_sign_off_twice_and_without_calibration_are_conflicts(room: Room, db: Session) -> None:
    versions = live_versions(db)
    exercise = create(room, items=versions[:4])
    ann = judge(room, exercise["id"], "Ann")
    assert angoff(room, exercise, ann, "0.5").status_code == 201
    uncalibrated = post(room, f"{exercise['id']}/sign-off", {"rationale": "x"})
    assert uncalibrated.status_code == 409 and "calibrate" in uncalibrated.json()["detail"]
    calibrate(db, unit_id(db), {v: 0.0 for v in versions}, room.clock.now())
    assert post(room, f"{exercise['id']}/sign-off", {"rationale": "x"}).status_code == 200
    for response in (
        post(room, f"{exercise['id']}/sign-off", {"rationale": "again"}),
        angoff(room, exercise, ann, "0.6"),
        post(room, f"{exercise['id']}/judges", {"name": "Late"}),
        post(room, f"{exercise['id']}/rounds", None),
    ):
        assert response.status_code == 409, response.text
    assert len(room.client.get(f"/api/v1/units/{PATH_URN}/cuts", headers=room.admin()).json()) == 1


def test_only_an_admin_token(room: Room, db: Session) -> None:
    _, reader = tokens.create_token(db, "reader", [tokens.RESULTS_READ], room.clock.now())
    db.flush()
    url = f"/api/v1/units/{PATH_URN}/standard-exercises"
    body = {"method": "angoff", "title": "x"}
    assert room.client.post(url, json=body).status_code == 401
    assert room.client.post(url, json=body, headers=bearer(reader)).status_code == 403
    assert room.client.get(url, headers=bearer(reader)).status_code == 403
    exercise = create(room)
    assert (
        room.client.get(f"{BASE}/{exercise['id']}/impact", headers=bearer(reader)).status_code
        == 403
    )
    assert post(room, f"{exercise['id']}/sign-off", {"rationale": "x"}).status_code == 409
    signed = room.client.post(
        f"{BASE}/{exercise['id']}/sign-off", json={"rationale": "x"}, headers=bearer(reader)
    )
    assert signed.status_code == 403


def test_a_version_excluded_from_marking_is_not_a_reference_item(room: Room, db: Session) -> None:
    versions = live_versions(db)
    assert exclude(room, db, versions[0]).status_code == 200
    chosen = room.client.post(
        f"/api/v1/units/{PATH_URN}/standard-exercises",
        json={"method": "angoff", "title": "x", "items": versions[:3]},
        headers=room.admin(),
    )
    assert chosen.status_code == 422, chosen.text
    assert "Excluded from marking" in chosen.json()["detail"]
    # nor is it in a reference set the service samples itself
    sampled = create(room)
    listed = room.client.get(f"{BASE}/{sampled['id']}", headers=room.admin()).json()
    assert versions[0] not in [i["item_version_id"] for i in listed["items"]]

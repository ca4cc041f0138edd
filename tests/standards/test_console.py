"""The console's standard-setting pages: the whole panel workflow by forms, parsed by the API's
schemas; an accessible chart with its numbers in a table; administrators only."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from app.standards import service
from tests.standards.conftest import Room, SignIn, calibrate, live_versions, unit_id
from tests.standards.test_marking import sit


def start(room: Room, csrf: str, method: str = "angoff") -> int:
    page = room.client.post(
        "/console/standards",
        data={"csrf_token": csrf, "unit": "F/503/0358", "method": method, "title": "Panel"},
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    return int(page.headers["location"].rsplit("/", 1)[1])


def test_the_panel_workflow_in_the_console(room: Room, db: Session, console: SignIn) -> None:
    calibrate(db, unit_id(db), {v: 0.0 for v in live_versions(db)}, room.clock.now())
    session = room.open_session(["N001", "N002"])  # results so far: 80 % and 40 %
    sit(room, session, "N001", 12)
    sit(room, session, "N002", 6)
    csrf = console("administrator")
    assert "Standard setting" in room.client.get("/console").text
    exercise_id = start(room, csrf)
    page = room.client.get(f"/console/standards/{exercise_id}")
    assert page.status_code == 200 and "No judges yet" in page.text
    added = room.client.post(
        f"/console/standards/{exercise_id}/judges", data={"csrf_token": csrf, "name": "Ann"}
    )
    assert added.status_code == 200 and "Judge added" in added.text
    judge_id = re.search(r'<option value="(\d+)"', added.text)
    assert judge_id
    versions = re.findall(r'name="p-(\d+)"', added.text)
    assert len(versions) == 15
    form = {"csrf_token": csrf, "judge_id": judge_id.group(1)}
    # a probability out of range: refused by the API's schema, nothing stored
    bad = room.client.post(
        f"/console/standards/{exercise_id}/judgements",
        data={**form, **{f"p-{v}": "1.2" for v in versions}},
    )
    assert bad.status_code == 422 and "There is a problem" in bad.text
    assert service.judgements_of(db, service.exercise_of(db, exercise_id), 1) == []
    # each mistake named by its item and linked to its own input, which says it is invalid
    slips = {f"p-{v}": "0.6" for v in versions}
    slips.update({f"p-{versions[0]}": "65%", f"p-{versions[1]}": "1.5", f"p-{versions[2]}": ""})
    named = room.client.post(f"/console/standards/{exercise_id}/judgements", data={**form, **slips})
    assert named.status_code == 422
    for v in versions[:3]:
        assert f'href="#p-{v}"' in named.text
        assert re.search(
            rf'id="p-{v}"[^>]*aria-invalid="true" aria-describedby="p-{v}-error"', named.text
        )
    assert "v1: give a probability from 0 to 1, with a point (0.65)" in named.text
    assert "v1: give a probability." in named.text  # the blank one
    assert 'value="65%"' in named.text  # what was typed stays to be corrected
    good = room.client.post(
        f"/console/standards/{exercise_id}/judgements",
        data={**form, **{f"p-{v}": "0.6" for v in versions}},
    )
    assert good.status_code == 200 and "Judgement recorded" in good.text
    assert re.search(r"<strong>9\.00</strong>", good.text)  # 15 x 0.6
    assert "<strong>60.00 %</strong>" in good.text
    # every paper's items at b = 0 need 9 of 15: one of the two passes
    assert "<strong>50.00 %</strong>" in good.text
    assert 'role="img"' in good.text and '<title id="chart-title">' in good.text
    unconfirmed = room.client.post(
        f"/console/standards/{exercise_id}/sign-off",
        data={"csrf_token": csrf, "rationale": "Agreed after discussion"},
    )
    assert unconfirmed.status_code == 422 and 'href="#confirm"' in unconfirmed.text
    assert service.exercise_of(db, exercise_id).signed_off_at is None
    signed = room.client.post(
        f"/console/standards/{exercise_id}/sign-off",
        data={"csrf_token": csrf, "rationale": "Agreed after discussion", "confirm": "yes"},
    )
    assert signed.status_code == 200 and "Signed off" in signed.text
    assert "standard signed off" in signed.text  # the unit's journal
    again = room.client.post(
        f"/console/standards/{exercise_id}/sign-off",
        data={"csrf_token": csrf, "rationale": "Twice", "confirm": "yes"},
    )
    assert again.status_code == 409
    # said on the page (its forms are gone once signed off: it was a bare page before)
    assert "There is a problem" in again.text and "is signed off" in again.text


def test_a_page_showing_an_earlier_round_changes_nothing_in_a_later_one(
    room: Room, db: Session, console: SignIn
) -> None:
    """Two tabs: one opens round 2 while the other still shows round 1. The stale tab's
    judgement is refused (it was stored in round 2, unseen), as is its 'open the next round'."""
    calibrate(db, unit_id(db), {v: 0.0 for v in live_versions(db)}, room.clock.now())
    csrf = console("administrator")
    exercise_id = start(room, csrf)
    added = room.client.post(
        f"/console/standards/{exercise_id}/judges", data={"csrf_token": csrf, "name": "Ann"}
    )
    judge_id = re.search(r'<option value="(\d+)"', added.text)
    assert judge_id and 'name="round" value="1"' in added.text
    versions = re.findall(r'name="p-(\d+)"', added.text)
    form = {"csrf_token": csrf, "judge_id": judge_id.group(1), "round": "1"}
    judged = {**form, **{f"p-{v}": "0.6" for v in versions}}
    url = f"/console/standards/{exercise_id}"
    assert room.client.post(f"{url}/judgements", data=judged).status_code == 200
    second = room.client.post(f"{url}/rounds", data={"csrf_token": csrf, "round": "1"})
    assert second.status_code == 200 and 'name="round" value="2"' in second.text
    # the stale tab, still on round 1
    stale = room.client.post(f"{url}/judgements", data={**judged, "p-" + versions[0]: "0.9"})
    assert stale.status_code == 409 and "Round 1 is not open" in stale.text
    exercise = service.exercise_of(db, exercise_id)
    assert service.judgements_of(db, exercise, 2) == []
    third = room.client.post(f"{url}/rounds", data={"csrf_token": csrf, "round": "1"})
    assert third.status_code == 409 and "Round 2 is already open" in third.text
    db.expire_all()
    assert service.exercise_of(db, exercise_id).round == 2


def test_hofstee_chart_draws_the_box(room: Room, db: Session, console: SignIn) -> None:
    session = room.open_session(["N001", "N002"])  # results so far: 80 % and 40 %
    sit(room, session, "N001", 12)
    sit(room, session, "N002", 6)
    csrf = console("administrator")
    exercise_id = start(room, csrf, "hofstee")
    room.client.post(
        f"/console/standards/{exercise_id}/judges", data={"csrf_token": csrf, "name": "Hal"}
    )
    judge_id = service.exercise_of(db, exercise_id).judges[0].id
    bounds = {"k_min": "50", "k_max": "70", "f_min": "10", "f_max": "50"}
    page = room.client.post(
        f"/console/standards/{exercise_id}/judgements",
        data={"csrf_token": csrf, "judge_id": str(judge_id), **bounds},
    )
    assert page.status_code == 200, page.text
    # F(c) is 50 % for c in (40, 80]: the diagonal 50 - 2 (c - 50) meets it at c = 50
    assert "<strong>50.00 %</strong>" in page.text
    assert "Hofstee box" in page.text and "stroke-dasharray" in page.text


def test_other_roles_are_refused(room: Room, console: SignIn) -> None:
    admin = console("administrator")
    exercise_id = start(room, admin)
    for role in ("exam_officer", "results_officer"):
        csrf = console(role)
        assert room.client.get("/console/standards").status_code == 403
        assert room.client.get(f"/console/standards/{exercise_id}").status_code == 403
        posted = room.client.post(
            "/console/standards",
            data={"csrf_token": csrf, "unit": "F/503/0358", "method": "angoff", "title": "x"},
        )
        assert posted.status_code == 403
        assert "Standard setting" not in room.client.get("/console").text


def test_bad_forms_and_unknown_exercises(room: Room, console: SignIn) -> None:
    csrf = console("administrator")
    unknown_unit = room.client.post(
        "/console/standards",
        data={"csrf_token": csrf, "unit": "Z/999/9999", "method": "angoff", "title": "x"},
    )
    assert unknown_unit.status_code == 404
    no_title = room.client.post(
        "/console/standards",
        data={"csrf_token": csrf, "unit": "F/503/0358", "method": "angoff", "title": ""},
    )
    assert no_title.status_code == 422 and "Fill this in" in no_title.text
    assert room.client.get("/console/standards/999999").status_code == 404
    assert room.client.get("/console/standards/0").status_code == 422
    no_csrf = room.client.post(
        "/console/standards", data={"unit": "F/503/0358", "method": "angoff", "title": "x"}
    )
    assert no_csrf.status_code == 403
    exercise_id = start(room, csrf)
    nobody = room.client.post(f"/console/standards/{exercise_id}/judges", data={"csrf_token": csrf})
    assert nobody.status_code == 422
    early = room.client.post(f"/console/standards/{exercise_id}/rounds", data={"csrf_token": csrf})
    assert early.status_code == 409 and "no judgements" in early.text


def test_a_forms_address_opened_in_the_browser_leads_back_to_its_page(
    room: Room, console: SignIn
) -> None:
    """A refused form shows its page at the form's address; reloading or bookmarking it there
    was a 405 (standard setting) or a 404 (statistics)."""
    csrf = console("administrator")
    exercise_id = start(room, csrf)
    for action in ("judges", "judgements", "rounds", "sign-off"):
        back = room.client.get(f"/console/standards/{exercise_id}/{action}", follow_redirects=False)
        assert back.status_code == 303
        assert back.headers["location"] == f"/console/standards/{exercise_id}"
    back = room.client.get("/console/statistics/F-503-0358/exclude", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/console/statistics/F-503-0358"
    assert room.client.get(f"/console/standards/{exercise_id}/other").status_code in (404, 422)

"""The console as plain forms: sign-in, roles, scheduling, uploads, results, tokens, banks."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.candidates import service as candidates
from app.clock import MovableClock
from app.sittings import listing
from app.staff import service as staff
from tests.console.conftest import SignIn, csrf_of
from tests.factories import PASSWORD
from tests.sittings.conftest import Room, code

GOOD_CSV = (
    "candidate_number,centre,first_name,last_name,extra_time_percent,rest_breaks\n"
    "U001,C0042,Ada,Lovelace,25,no\n"
    "U002,C0099,Alan,Turing,0,yes\n"
)
BAD_CSV = (
    "candidate_number,centre,first_name,last_name,extra_time_percent,rest_breaks\n"
    "U001,C0042,Ada,Lovelace,25,no\n"  # fine on its own
    "N001,C0042,Taken,Already,0,no\n"  # row 3: registered already
    "U003,NOWHERE,Lost,Centre,0,no\n"  # row 4: no such centre
    "U004,C0042,Ex,Tra,lots,no\n"  # row 5: extra time
)


def test_pages_send_a_stranger_to_the_sign_in_and_back(room: Room, console: SignIn) -> None:
    client = room.client
    page = client.get("/console/sittings?status=open", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fsittings%3Fstatus%3Dopen"
    assert (
        client.get("/console/sign-in?next=https://evil.example/").text.count(
            'name="next" value="/console"'
        )
        == 1
    )  # never an open redirect


def test_sign_in_refuses_a_wrong_password_and_throttles(
    client: TestClient, db: Session, clock: MovableClock
) -> None:
    staff.create(db, clock.now(), username="pat", role="administrator", password=PASSWORD)
    db.flush()
    for _ in range(5):
        bad = client.post("/console/sign-in", data={"username": "pat", "password": "not-it-at-all"})
        assert bad.status_code == 401 and "not recognised" in bad.text
    locked = client.post("/console/sign-in", data={"username": "PAT", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    clock.advance(seconds=301)
    ok = client.post("/console/sign-in", data={"username": "Pat", "password": PASSWORD})
    assert ok.status_code == 200 and "Signed in as pat" in ok.text
    assert "examhall_console" in ok.history[0].headers["set-cookie"]
    assert "HttpOnly" in ok.history[0].headers["set-cookie"]


def test_an_invigilator_cookie_is_not_a_console_session(room: Room) -> None:
    room.invigilate()
    page = room.client.get("/console", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/console/sign-in")


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            "administrator",
            [
                "/console/centres",
                "/console/sittings/new",
                "/console/results",
                "/console/tokens",
                "/console/banks",
                "/console/candidates/upload",
            ],
            [],
        ),
        (
            "exam_officer",
            [
                "/console/centres",
                "/console/sittings/new",
                "/console/candidates/upload",
                "/console/banks",
            ],
            ["/console/results", "/console/results.csv", "/console/tokens"],
        ),
        (
            "results_officer",
            ["/console/results", "/console/results.csv", "/console/sittings"],
            [
                "/console/sittings/new",
                "/console/candidates/upload",
                "/console/tokens",
                "/console/banks",
                "/console/banks/F-503-0358",
            ],
        ),
    ],
)
def test_each_role_sees_its_own_pages(
    room: Room, console: SignIn, role: str, allowed: list[str], refused: list[str]
) -> None:
    console(role)
    for path in allowed:
        assert room.client.get(path).status_code == 200, path
    for path in refused:
        page = room.client.get(path)
        assert page.status_code == 403 and "does not allow" in page.text, path


def test_a_role_cannot_post_what_it_cannot_see(room: Room, console: SignIn) -> None:
    csrf = console("results_officer")
    page = room.client.post(
        "/console/centres", data={"csrf_token": csrf, "code": "X1", "name": "X"}
    )
    assert page.status_code == 403
    # the centre's link, not its two letters (a random CSRF token on the page may hold "X1")
    assert 'href="/console/centres/X1"' not in room.client.get("/console/centres").text


def test_a_form_without_the_csrf_token_changes_nothing(room: Room, console: SignIn) -> None:
    console("administrator")
    page = room.client.post("/console/centres", data={"code": "C0100", "name": "Hull"})
    assert page.status_code == 403
    assert 'href="/console/centres/C0100"' not in room.client.get("/console/centres").text


def test_centres_and_invigilators(room: Room, console: SignIn) -> None:
    csrf = console("administrator")
    bad = room.client.post(
        "/console/centres", data={"csrf_token": csrf, "code": "no spaces", "name": ""}
    )
    assert bad.status_code == 422 and 'href="#code"' in bad.text and 'href="#name"' in bad.text
    added = room.client.post(
        "/console/centres", data={"csrf_token": csrf, "code": "C0100", "name": "Hull"}
    )
    assert added.status_code == 200 and "Centre added." in added.text and "Hull" in added.text
    taken = room.client.post(
        "/console/centres", data={"csrf_token": csrf, "code": "c0100", "name": "X"}
    )
    assert taken.status_code == 409 and "already exists" in taken.text
    made = room.client.post(
        "/console/centres/C0100",
        data={"csrf_token": csrf, "username": "ivy", "password": PASSWORD},
    )
    assert made.status_code == 200 and "Invigilator account created." in made.text
    signed = room.client.post(
        "/api/v1/auth/invigilator",
        json={"centre": "C0100", "username": "ivy", "password": PASSWORD},
    )
    assert signed.status_code == 200


def test_scheduling_a_sitting_from_the_console(room: Room, console: SignIn, db: Session) -> None:
    csrf = console("exam_officer")
    form = room.client.get("/console/sittings/new?centre=C0042")
    assert "N006" in form.text and "Y001" not in form.text  # only the centre's candidates
    refused = room.client.post(
        "/console/sittings/new",
        data={
            "csrf_token": csrf,
            "centre": "C0042",
            "unit": "F/503/0358",
            "scheduled_start": "2026-06-01T09:00",
        },
    )
    assert refused.status_code == 422 and "at least one candidate" in refused.text
    assert listing.find(db) == []
    slip = room.client.post(  # a slip of the year (the clock here reads 2026-06-01 09:00)
        "/console/sittings/new",
        data={
            "csrf_token": csrf,
            "centre": "C0042",
            "unit": "F/503/0358",
            "scheduled_start": "2020-06-01T09:00",
            "candidates": ["N001"],
        },
    )
    assert slip.status_code == 422 and "That start is in the past" in slip.text
    assert listing.find(db) == []
    done = room.client.post(
        "/console/sittings/new",
        data={
            "csrf_token": csrf,
            "centre": "C0042",
            "unit": "F/503/0358",
            "scheduled_start": "2026-06-01T09:00",
            "candidates": ["N001", "N006"],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = room.client.get(done.headers["location"])
    assert "Sitting scheduled" in page.text and "N006" in page.text
    assert "session scheduled" in page.text and "staff:exam_officer.user" in page.text  # journal
    assert "The journal is intact" in page.text
    [row] = listing.find(db)
    assert (row.centre, row.unit, row.candidates) == ("C0042", "F/503/0358", 2)
    assert row.sitting.scheduled_start.isoformat() == "2026-06-01T09:00:00+00:00"
    listed = room.client.get("/console/sittings?centre=C0042&status=scheduled")
    assert f"/console/sittings/{row.sitting.id}" in listed.text
    assert (
        f"/console/sittings/{row.sitting.id}"
        not in room.client.get("/console/sittings?status=closed").text
    )


def test_access_codes_are_for_the_roles_that_schedule(room: Room, console: SignIn) -> None:
    """A code lets its candidate into the exam: a results officer read every code of every
    sitting (a trial found them on the register and the slips)."""
    session = room.open_session(["N001", "N002"])
    codes = [code(session, n) for n in ("N001", "N002")]
    console("results_officer")
    page = room.client.get(f"/console/sittings/{session['id']}")
    assert page.status_code == 200 and "N001" in page.text
    assert not any(c in page.text for c in codes) and "Print candidate slips" not in page.text
    assert room.client.get(f"/console/sittings/{session['id']}/slips").status_code == 403
    console("exam_officer")
    page = room.client.get(f"/console/sittings/{session['id']}")
    assert all(c in page.text for c in codes) and "Print candidate slips" in page.text
    slips = room.client.get(f"/console/sittings/{session['id']}/slips")
    assert slips.status_code == 200 and all(c in slips.text for c in codes)


def test_a_bad_upload_is_refused_whole_with_every_row(
    room: Room, console: SignIn, db: Session
) -> None:
    csrf = console("exam_officer")
    page = room.client.post(
        "/console/candidates/upload",
        data={"csrf_token": csrf},
        files={"file": ("people.csv", BAD_CSV.encode(), "text/csv")},
    )
    assert page.status_code == 422
    assert "Nothing was imported: 3 problems" in page.text
    for row, column in (("3", "candidate_number"), ("4", "centre"), ("5", "extra_time_percent")):
        assert f"<td>{row}</td><td>{column}</td>" in page.text
    assert candidates.find_candidate(db, "U001") is None  # the good row was not imported either
    good = room.client.post(
        "/console/candidates/upload",
        data={"csrf_token": csrf},
        files={"file": ("people.csv", GOOD_CSV.encode(), "text/csv")},
    )
    assert good.status_code == 200 and "Imported 2 candidates" in good.text
    assert candidates.get_candidate(db, "U002").rest_breaks is True


def test_the_import_api_refuses_a_bad_file_and_changes_nothing(room: Room, db: Session) -> None:
    bad = room.client.post(
        "/api/v1/candidates/import",
        content=BAD_CSV.encode(),
        headers={**room.admin(), "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert [(e["row"], e["column"]) for e in bad.json()["errors"]] == [
        (3, "candidate_number"),
        (4, "centre"),
        (5, "extra_time_percent"),
    ]
    assert candidates.find_candidate(db, "U001") is None
    good = room.client.post(
        "/api/v1/candidates/import",
        content=GOOD_CSV.encode(),
        headers={**room.admin(), "Content-Type": "text/csv"},
    )
    assert good.status_code == 201 and good.json()["imported"] == 2
    again = room.client.post(
        "/api/v1/candidates/import", content=GOOD_CSV.encode(), headers=room.admin()
    )
    assert again.status_code == 422 and len(again.json()["errors"]) == 2


def test_searching_candidates_and_their_arrangements(room: Room, console: SignIn) -> None:
    csrf = console("exam_officer")
    found = room.client.get("/console/candidates?q=number6")
    assert (
        "1 candidate found" in found.text
        and "N006" in found.text
        and "25% extra time" in found.text
    )
    assert "0 candidates found" in room.client.get("/console/candidates?q=%25").text  # literal %
    assert "Y001" not in room.client.get("/console/candidates?centre=C0042").text
    saved = room.client.post(
        "/console/candidates/N001",
        data={"csrf_token": csrf, "extra_time_percent": "50", "rest_breaks": "yes"},
    )
    assert saved.status_code == 200 and "Access arrangements saved." in saved.text
    refused = room.client.post(
        "/console/candidates/N001",
        data={"csrf_token": csrf, "extra_time_percent": "500", "rest_breaks": "yes"},
    )
    assert refused.status_code == 422 and "0 to 200" in refused.text


def _sit_and_close(room: Room) -> dict[str, object]:
    session = room.open_session(["N001", "N002"])
    csrf, _ = room.sign_in("N001", code(session, "N001"))
    keys = room.keys()
    paper = room.attempt()
    for item in paper["items"]:
        key = next(o["id"] for o in item["options"] if keys[o["id"]] == o["id"])
        room.answer(csrf, item["position"], key, 1)
    room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    room.client.cookies.clear()
    room.sign_in("N002", code(session, "N002"))  # answers nothing; the close submits it
    room.attempt()
    room.client.cookies.clear()
    inv = room.invigilate()
    room.act(inv, session["id"], "close")
    room.client.cookies.clear()
    return session


def test_results_filter_and_export_safely(room: Room, console: SignIn, db: Session) -> None:
    candidates.get_candidate(db, "N002").first_name = "=HYPERLINK(1)"
    db.flush()
    session = _sit_and_close(room)
    console("results_officer")
    page = room.client.get("/console/results?outcome=pass")
    assert "1 result" in page.text and "N001" in page.text and "N002" not in page.text
    fails = room.client.get("/console/results?outcome=fail&unit=F/503/0358&centre=C0042")
    assert "N002" in fails.text and "N001" not in fails.text
    assert "0 results" in room.client.get("/console/results?from=2100-01-01").text
    bad = room.client.get("/console/results?from=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    export = room.client.get("/console/results.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    # a byte order mark: how Excel knows the file is UTF-8 (names with accents)
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(export.text.removeprefix("\ufeff"))))
    by_number = {r["candidate_number"]: r for r in rows}
    assert by_number["N001"]["outcome"] == "pass" and by_number["N001"]["percent"] == "100.00"
    assert by_number["N002"]["candidate_name"].startswith("'=HYPERLINK")  # not a formula
    assert by_number["N002"]["submitted_by"] == "invigilator"
    assert {r["session_id"] for r in rows} == {str(session["id"])}
    only_pass = room.client.get("/console/results.csv?outcome=pass")
    assert len(list(csv.DictReader(io.StringIO(only_pass.text.removeprefix("\ufeff"))))) == 1
    person = room.client.get("/console/candidates/N001")
    assert "Achievement" in person.text and "not yet achieved" in person.text
    # the candidate's own exam results, not only the centre's (a trial found none shown)
    mine = person.text.split('id="exam-results"')[1].split("<h2")[0]
    assert "F/503/0358" in mine and "15 / 15 (100.00%)" in mine and "Pass" in mine
    assert f'href="/console/sittings/{session["id"]}"' in mine


def test_results_come_in_pages(
    room: Room, console: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every result is reachable on a page (the list showed the first 500 and no more)."""
    from app.console import results as results_page

    _sit_and_close(room)
    console("results_officer")
    monkeypatch.setattr(results_page, "PAGE", 1)
    first = room.client.get("/console/results")
    assert "2 results; 1 to 1 shown here (page 1 of 2)" in first.text
    assert "N001" in first.text and "N002" not in first.text
    assert (
        'href="/console/results?page=2" rel="next"' in first.text and 'rel="prev"' not in first.text
    )
    second = room.client.get("/console/results?page=2")
    assert "N002" in second.text and "N001" not in second.text
    assert 'href="/console/results?page=1" rel="prev"' in second.text
    assert 'rel="next"' not in second.text and 'aria-current="page">Page 2 of 2' in second.text
    # the filters travel with the pages, encoded; past the end is the last page
    filtered = room.client.get("/console/results?unit=F/503/0358&centre=C0042&page=9")
    assert "page 2 of 2" in filtered.text and "N002" in filtered.text
    assert (
        'href="/console/results?centre=C0042&amp;unit=F%2F503%2F0358&amp;page=1"' in filtered.text
    )
    for bad in ("0", "-1", "two", "1.5"):
        refused = room.client.get(f"/console/results?page={bad}")
        assert refused.status_code == 422 and "whole number from 1" in refused.text


def test_a_unit_not_counted_says_why(room: Room, console: SignIn) -> None:
    """Rules of Combination: 'Counted: No' names its reason (a barred pair here)."""
    room.open_session(["N001"])  # the candidate N001 at the room's centre
    for unit in ("T/503/0373", "Y/503/0365"):
        body = {"unit": unit, "outcome": "pass", "method": "portfolio", "achieved_on": "2026-03-01"}
        made = room.client.post(
            "/api/v1/candidates/N001/unit-results", json=body, headers=room.admin()
        )
        assert made.status_code == 201, made.text
    console("results_officer")
    page = room.client.get("/console/candidates/N001").text
    held = page.split("<caption>Units held</caption>")[1].split("</table>")[0]
    assert "No: barred with T/503/0373, which counts instead" in held


def test_tokens_are_shown_once_and_revoked(room: Room, console: SignIn) -> None:
    csrf = console("administrator")
    made = room.client.post(
        "/console/tokens", data={"csrf_token": csrf, "name": "feed", "scopes": ["results:read"]}
    )
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    value = made.text.split('id="new-token" readonly value="')[1].split('"')[0]
    assert value.startswith("eh_")
    assert (
        room.client.get("/api/v1/results", headers={"Authorization": f"Bearer {value}"}).status_code
        == 200
    )
    listing_page = room.client.get("/console/tokens")
    assert value not in listing_page.text and "feed" in listing_page.text
    token_id = listing_page.text.split('action="/console/tokens/')[-1].split("/revoke")[0]
    room.client.post(f"/console/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert (
        room.client.get("/api/v1/results", headers={"Authorization": f"Bearer {value}"}).status_code
        == 401
    )
    none = room.client.post("/console/tokens", data={"csrf_token": csrf, "name": "x"})
    assert none.status_code == 422


def test_banks_show_every_version_with_its_key(room: Room, console: SignIn) -> None:
    console("exam_officer")
    overview = room.client.get("/console/banks")
    assert "/console/banks/F-503-0358" in overview.text
    page = room.client.get("/console/banks/F-503-0358")
    assert page.status_code == 200 and "(key)" in page.text and "Version 1" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert room.client.get("/console/banks/nonsense").status_code == 404


def test_sign_out(room: Room, console: SignIn) -> None:
    csrf = console("administrator")
    out = room.client.post("/console/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert room.client.get("/console", follow_redirects=False).status_code == 303
    assert csrf_of is not None


def test_a_file_larger_than_json_bodies_reaches_the_importer(room: Room, db: Session) -> None:
    rows = "".join(f"L{n:06d},C0042,Long,File{n},0,no\n" for n in range(40_000))
    data = "candidate_number,centre,first_name,last_name,extra_time_percent,rest_breaks\n" + rows
    assert 1_000_000 < len(data) < 2_000_000  # over the JSON limit, under the file limit
    response = room.client.post(
        "/api/v1/candidates/import", content=data.encode(), headers=room.admin()
    )
    assert response.status_code == 422  # read in full: refused for its 40,000 rows, not its size
    assert response.json()["errors"] == [
        {"row": 10_002, "column": "", "message": "More than 10,000 rows."}
    ]
    assert candidates.find_candidate(db, "L000001") is None
    huge = room.client.post(
        "/api/v1/candidates/import", content=b"x" * 2_200_000, headers=room.admin()
    )
    assert huge.status_code == 413


@pytest.mark.parametrize(
    ("name", "said"),
    [("x" * 101, "at most 100 characters; this one has 101"), ("AB\tlive", "U+0009")],
)
def test_a_token_name_it_cannot_keep_is_a_422_and_nothing_is_made(
    room: Room, console: SignIn, name: str, said: str
) -> None:
    """The form cut a long name to 100 characters without a word, and kept a tab."""
    csrf = console("administrator")
    before = room.client.get("/console/tokens").text.count("/revoke")
    page = room.client.post(
        "/console/tokens", data={"csrf_token": csrf, "name": name, "scopes": ["results:read"]}
    )
    assert page.status_code == 422 and said in page.text
    assert 'id="new-token" readonly' not in page.text
    assert room.client.get("/console/tokens").text.count("/revoke") == before


def test_revoking_by_id_in_the_console_never_takes_a_token_so_named(
    room: Room, console: SignIn
) -> None:
    """The form posts the token's id; the service looked the id up as a name first."""
    csrf = console("administrator")
    listing_page = room.client.get("/console/tokens").text
    first = listing_page.split('action="/console/tokens/')[1].split("/revoke")[0]
    made = room.client.post(
        "/console/tokens", data={"csrf_token": csrf, "name": first, "scopes": ["results:read"]}
    )
    value = made.text.split('id="new-token" readonly value="')[1].split('"')[0]
    room.client.post(f"/console/tokens/{first}/revoke", data={"csrf_token": csrf})
    results = "/api/v1/results"
    assert room.client.get(results, headers=room.admin()).status_code == 401  # the room's token
    assert room.client.get(results, headers={"Authorization": f"Bearer {value}"}).status_code == 200

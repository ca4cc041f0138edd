"""The invigilator's pages as plain forms."""

from __future__ import annotations

import csv
import io
import re

from tests.factories import PASSWORD
from tests.sittings.conftest import Room, code


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def sign_in(room: Room, centre: str = "C0042", username: str = "ann") -> str:
    page = room.client.post(
        "/invigilate", data={"centre": centre, "username": username, "password": PASSWORD}
    )
    assert page.status_code == 200 and "Sessions at centre" in page.text
    return csrf_of(page.text)


def test_running_a_session_from_the_pages(room: Room) -> None:
    session = room.schedule(["N001", "N002"])
    assert (
        room.client.get("/invigilate/sessions", follow_redirects=False).headers["location"]
        == "/invigilate"
    )
    bad = room.client.post(
        "/invigilate", data={"centre": "C0042", "username": "ann", "password": "wrong-one-x"}
    )
    assert bad.status_code == 401 and "not recognised" in bad.text
    token = sign_in(room)
    url = f"/invigilate/sessions/{session['id']}"
    page = room.client.get(url)
    assert session["access_code"] in page.text and "Start the session" in page.text
    confirm_start = room.client.get(f"{url}/confirm?action=start")
    assert "Start session" in confirm_start.text and "cannot go back" in confirm_start.text
    confirm_time = room.client.get(
        f"{url}/confirm?action=extra_time&candidate=N001&minutes=7&reason=Fire+alarm"
    )
    assert "Add 7 minutes to candidate N001" in confirm_time.text
    assert 'name="reason" value="Fire alarm"' in confirm_time.text
    # asked about only as the server takes it: 1000 was cut to "100" and then added (a trial)
    for minutes in ("1000", "-5", "abc", "1.5", ""):
        refused = room.client.get(
            f"{url}/confirm?action=extra_time&candidate=N001&minutes={minutes}"
        )
        assert refused.status_code == 422 and "from 1 to 240" in refused.text, minutes
        assert "Yes, add the time" not in refused.text
    long = room.client.get(
        f"{url}/confirm?action=extra_time&candidate=N001&minutes=5&reason={'x' * 501}"
    )
    assert long.status_code == 422 and "at most 500 characters" in long.text
    assert room.client.get(f"{url}/confirm?action=nonsense").url.path == url
    assert room.client.post(url, data={"csrf_token": token, "action": "start"}).status_code == 405
    started = room.client.post(f"{url}/start", data={"csrf_token": token})
    assert "Session started" in started.text and "Pause everyone" in started.text
    cookies = dict(room.client.cookies)
    room.client.cookies.clear()
    room.sign_in("N001", code(session, "N001"))
    room.client.cookies.clear()
    room.client.cookies.update(cookies)
    paused = room.client.post(f"{url}/candidates/N001/pause", data={"csrf_token": token})
    assert "Candidate paused." in paused.text and "status-paused" in paused.text
    # The page takes what the API takes (ExtraTimeIn): a reason is optional on both.
    extra = f"{url}/candidates/N001/extra-time"
    too_many = room.client.post(extra, data={"csrf_token": token, "minutes": "241"})
    assert too_many.status_code == 422 and "from 1 to 240" in too_many.text
    no_reason = room.client.post(extra, data={"csrf_token": token, "minutes": "2", "reason": ""})
    assert no_reason.status_code == 200 and "Time added." in no_reason.text
    room.client.post(extra, data={"csrf_token": token, "minutes": "5", "reason": "Fire alarm"})
    no_note = room.client.post(
        f"{url}/incidents", data={"csrf_token": token, "category": "fire_alarm", "note": " "}
    )
    assert no_note.status_code == 422 and "Describe the incident" in no_note.text
    room.client.post(
        f"{url}/incidents",
        data={
            "csrf_token": token,
            "category": "fire_alarm",
            "candidate_number": "",
            "note": "Alarm 10:05 to 10:12",
        },
    )
    forged = room.client.post(f"{url}/close", data={"csrf_token": "nope"})
    assert forged.status_code == 403
    confirm = room.client.get(f"{url}/confirm?action=close")
    assert "This cannot be undone" in confirm.text
    closed = room.client.post(f"{url}/close", data={"csrf_token": token})
    assert "Session closed" in closed.text
    # A closed room's register offers a void and an incident, nothing that moves a clock.
    for gone in ("Minutes to add", "Re-admit on another computer", ">Pause<", ">Resume<"):
        assert gone not in closed.text, gone
    assert "Void<" in closed.text and "Note incident" in closed.text
    printable = room.client.get(f"{url}/print")
    assert (
        "Attendance register and incident report" in printable.text
        and "Alarm 10:05 to 10:12" in printable.text
    )
    # Complete: time added with its reason (or none given), pauses, signature lines.
    for text in (
        "Time added: 2 min: no reason given",
        "Time added: 5 min: Fire alarm",
        "Paused",
        "Signature",
        "Lead invigilator",
        "Access arrangements",
    ):
        assert text in printable.text, text
    slips = room.client.get(f"{url}/slips")
    assert slips.status_code == 200 and "N002" in slips.text
    sheet = room.client.get(f"{url}/register.csv")
    assert sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.text.removeprefix("\ufeff"))))
    assert [(r["candidate_number"], r["status"], r["submitted_by"]) for r in rows] == [
        ("N001", "submitted", "invigilator"),
        ("N002", "not_started", ""),
    ]


def test_another_centres_invigilator_cannot_open_the_page(room: Room) -> None:
    session = room.schedule(["N001"])
    sign_in(room, "C0099", "yves")
    assert room.client.get(f"/invigilate/sessions/{session['id']}").status_code == 404
    listing = room.client.get("/invigilate/sessions").text
    assert f'href="/invigilate/sessions/{session["id"]}"' not in listing


def test_csv_cells_cannot_become_formulas(room: Room, db, clock) -> None:  # type: ignore[no-untyped-def]
    from app.candidates import service as candidates

    candidates.create_candidate(
        db,
        clock.now(),
        candidate_number="N777",
        centre="C0042",
        first_name='=HYPERLINK("x")',
        last_name="Evil",
    )
    session = room.schedule(["N777"])
    sign_in(room)
    sheet = room.client.get(f"/invigilate/sessions/{session['id']}/register.csv").text
    assert "'=HYPERLINK" in sheet


def test_incident_report_as_csv(room: Room) -> None:
    session = room.schedule(["N001", "N002"])
    token = sign_in(room)
    url = f"/invigilate/sessions/{session['id']}"
    for candidate, category, note in (
        ("", "fire_alarm", "Alarm at 10:05; room evacuated"),
        ("N002", "illness", "=cmd|' /C calc'!A0"),
    ):
        room.client.post(
            f"{url}/incidents",
            data={
                "csrf_token": token,
                "candidate_number": candidate,
                "category": category,
                "note": note,
            },
        )
    sheet = room.client.get(f"{url}/incidents.csv")
    assert sheet.headers["content-type"].startswith("text/csv")
    assert "incidents-session" in sheet.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(sheet.text.removeprefix("\ufeff"))))
    assert [(r["category"], r["candidate_number"], r["note"], r["recorded_by"]) for r in rows] == [
        ("fire_alarm", "", "Alarm at 10:05; room evacuated", "ann"),
        ("illness", "N002", "'=cmd|' /C calc'!A0", "ann"),
    ]
    sign_in(room, "C0099", "yves")
    assert room.client.get(f"{url}/incidents.csv").status_code == 404

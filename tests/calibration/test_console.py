"""The console's calibration pages: who may see them, and what they show."""

from __future__ import annotations

import re

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.calibration import service
from app.clock import MovableClock
from app.staff import service as staff
from tests.calibration.conftest import Bank, record, simulate
from tests.calibration.test_api import Inline, use
from tests.factories import PASSWORD

PAGE = "/console/calibration/A-100-0001"


def sign_in(client: TestClient, db: Session, clock: MovableClock, role: str) -> None:
    staff.create(db, clock.now(), username=f"{role}.user", role=role, password=PASSWORD)
    db.flush()
    client.cookies.clear()
    page = client.post("/console/sign-in", data={"username": f"{role}.user", "password": PASSWORD})
    assert page.status_code == 200, page.text


def test_signed_out_goes_to_sign_in_and_an_exam_officer_may_not(
    app: FastAPI, client: TestClient, db: Session, bank: Bank, clock: MovableClock
) -> None:
    use(app, Inline())
    page = client.get(PAGE, follow_redirects=False)
    assert page.status_code == 303 and "/console/sign-in" in page.headers["location"]
    sign_in(client, db, clock, "exam_officer")
    assert client.get(PAGE).status_code == 403
    assert 'href="/console/calibration"' not in client.get("/console").text


def test_the_unit_page_shows_the_run_the_leak_and_the_curve(
    app: FastAPI, client: TestClient, db: Session, bank: Bank, clock: MovableClock
) -> None:
    use(app, Inline())
    sign_in(client, db, clock, "results_officer")
    assert "has not been calibrated yet" in client.get(PAGE).text
    rng = np.random.default_rng(4)
    b = np.random.default_rng(42).normal(0, 1, 60)
    record(
        db, bank, simulate(rng, bank, b, rng.normal(0, 1, 500), 20, list(range(40))), clock.now()
    )
    clock.advance(hours=1)
    service.calibrate_unit(db, bank.unit_id, clock.now())
    clock.advance(days=2)
    papers = simulate(rng, bank, b, rng.normal(0, 1, 300), 20, list(range(40)))
    leaked = bank.versions[7]
    record(db, bank, [[(v, 1 if v == leaked else x) for v, x in p] for p in papers], clock.now())
    clock.advance(minutes=5)

    overview = client.get("/console/calibration")
    assert overview.status_code == 200 and "A/100/0001" in overview.text
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.text
    flagged = html[
        html.index("Items departing from their calibration") : html.index("Test information</h2>")
    ]
    assert "A1000001-007 v1" in flagged and "leaked" in flagged
    assert len(re.findall(r"<tr><td>A1000001-", flagged)) == 1  # only the leaked item
    assert 'role="img"' in html and 'aria-labelledby="tic-title tic-desc"' in html
    assert html.count("<polyline") == 1
    assert "Test information, point by point" in html


def test_an_administrator_calibrates_a_unit_from_its_page(
    app: FastAPI, client: TestClient, db: Session, bank: Bank, clock: MovableClock
) -> None:
    """Sign-off needs calibrated reference items, and the console had no way to calibrate:
    an administrator asks for a run on the unit's page; the page then says how it went."""
    use(app, Inline())
    rng = np.random.default_rng(4)
    b = np.random.default_rng(42).normal(0, 1, 60)
    record(
        db, bank, simulate(rng, bank, b, rng.normal(0, 1, 500), 20, list(range(40))), clock.now()
    )
    clock.advance(hours=1)
    sign_in(client, db, clock, "results_officer")
    assert "Calibrate A/100/0001 now" not in client.get(PAGE).text  # reads, may not run it
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console").text)
    assert csrf
    assert client.post(PAGE, data={"csrf_token": csrf.group(1)}).status_code == 403
    sign_in(client, db, clock, "administrator")
    page = client.get(PAGE).text
    assert "Calibrate A/100/0001 now" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    assert client.post(PAGE, data={}).status_code == 403  # no CSRF token: refused
    done = client.post(PAGE, data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == PAGE
    shown = client.get(PAGE).text
    assert "Calibration asked for at" in shown and "Latest calibration" in shown

"""The invigilator's pages in chromium: the live register, actions, confirmation, print view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from app.centres import service as centres
from app.db import make_engine, make_sessionmaker, unit_of_work
from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.browser.test_exam import live_db, seat, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
__all__ = ["live_db"]


@pytest.fixture
def staff_context(browser: Browser, live_db: LiveServer) -> Iterator[BrowserContext]:
    engine = make_engine(live_db.db_url)
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        if centres.find_invigilator(db, "C0042", "ivy") is None:
            centres.create_invigilator(db, "C0042", "ivy", PASSWORD, live_db.clock.now())
    engine.dispose()
    context = browser.new_context(bypass_csp=True)
    yield context
    context.close()


def test_the_live_register_and_its_actions(
    live_db: LiveServer, staff_context: BrowserContext, browser: Browser, artifacts_dir: Path
) -> None:
    s = seat(live_db)
    page = staff_context.new_page()
    page.goto(live_db.url + "/invigilate")
    assert violations(page) == []
    page.get_by_label("Centre code").fill("C0042")
    page.get_by_label("Username").fill("ivy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions at centre C0042")
    assert violations(page) == []
    page.get_by_role("link", name=f"Session {s.session_id}", exact=True).click()
    row = page.locator(f'tr[data-candidate="{s.number}"]')
    expect(row.locator(".status")).to_have_text("Not started")
    assert violations(page) == []

    # The candidate signs in elsewhere: the register shows it without a reload.
    candidate_context = browser.new_context()
    candidate = candidate_context.new_page()
    sign_in(candidate, live_db, s)
    candidate.goto(live_db.url + "/exam/q/1")
    candidate.locator("input[name=option]").first.check()
    expect(row.locator(".col-answered")).to_have_text("1 / 15", timeout=15_000)
    expect(row.locator(".status")).to_have_text("Sitting")
    page.screenshot(path=str(artifacts_dir / "invigilator-1-register.png"), full_page=True)

    row.get_by_role("button", name=f"Pause {s.number}").click()
    expect(page.get_by_role("status").first).to_contain_text("Candidate paused.")
    expect(candidate.locator("#paused-banner")).to_be_visible(timeout=15_000)
    page.locator(f'tr[data-candidate="{s.number}"]').get_by_role(
        "button", name=f"Resume {s.number}"
    ).click()
    expect(candidate.locator("#paused-banner")).to_be_hidden(timeout=15_000)

    page.get_by_role("link", name="Close the session").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Close session")
    assert violations(page) == []
    page.screenshot(path=str(artifacts_dir / "invigilator-2-confirm-close.png"), full_page=True)
    page.get_by_role("button", name="Yes, close the session").click()
    expect(page.locator(f'tr[data-candidate="{s.number}"] .status')).to_have_text("Submitted")
    page.get_by_role("link", name="Printable register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Attendance register and incident report"
    )
    assert violations(page) == []
    page.screenshot(path=str(artifacts_dir / "invigilator-3-print.png"), full_page=True)
    candidate_context.close()

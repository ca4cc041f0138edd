"""The console's calibration page in chromium: a results officer finds a leaked item and reads
the test information curve, as a picture and as numbers; the page passes axe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from app.calibration import service
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.staff import service as staff
from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.calibration.conftest import make_bank, record, simulate

pytestmark = pytest.mark.browser
PASSWORD = "calibration-officer-pass"


@pytest.fixture(scope="module")
def calibrated(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A calibrated unit with a window of results since, one item leaked; a results officer."""
    engine = make_engine(live_server.db_url)
    clock = live_server.clock
    rng = np.random.default_rng(8)
    b = np.random.default_rng(42).normal(0, 1, 60)
    start = clock.now()
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        bank = make_bank(db, start, tmp_path_factory.mktemp("calibration-bank"))
        papers = simulate(rng, bank, b, rng.normal(0, 1, 400), 20, list(range(40)))
        record(db, bank, papers, start.replace(year=start.year - 1))
        service.calibrate_unit(
            db, bank.unit_id, start.replace(year=start.year - 1, day=1) if False else start
        )
        papers = simulate(rng, bank, b, rng.normal(0, 1, 250), 20, list(range(40)))
        leaked = bank.versions[3]
        papers = [[(v, 1 if v == leaked else x) for v, x in p] for p in papers]
        record(db, bank, papers, start)
        staff.create(
            db, start, username="psychometrician", role="results_officer", password=PASSWORD
        )
    engine.dispose()
    clock.advance(minutes=5)
    return "psychometrician"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(bypass_csp=True)  # axe needs bypass_csp
    yield context
    context.close()


def test_a_results_officer_finds_the_leaked_item(
    live_server: LiveServer, calibrated: str, context: BrowserContext, artifacts_dir: Path
) -> None:
    page = context.new_page()
    page.goto(live_server.url + "/console")
    page.get_by_label("Username").fill(calibrated)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Calibration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calibration")
    assert violations(page) == []
    page.get_by_role("link", name="A/100/0001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("A/100/0001")
    flagged = page.get_by_role("table", name="Items departing from their calibration")
    expect(flagged.get_by_role("row")).to_have_count(2)  # the header and the leaked item
    expect(flagged).to_contain_text("A1000001-003 v1")
    expect(flagged).to_contain_text("leaked")
    chart = page.get_by_role("img", name="Test information curve of a typical 20-item paper")
    expect(chart).to_be_visible()
    numbers = page.get_by_role("table", name="Test information, point by point")
    expect(numbers.get_by_role("row")).to_have_count(34)  # header + 33 points
    found = violations(page)
    page.screenshot(path=str(artifacts_dir / "console-calibration.png"), full_page=True)
    page.locator(".figure-pair").screenshot(
        path=str(artifacts_dir / "console-calibration-information.png")
    )
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.screenshot(path=str(artifacts_dir / "console-calibration-top.png"))
    assert found == [], found

"""The statistics page in chromium: an administrator finds a unit's statistics from the
console, reads the pictures and tables, downloads a table, and excludes an item version; every
state of the page passes axe, and screenshots are kept to look at."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from app.auth import tokens
from app.banks.models import Item
from app.centres import service as centres
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.staff import service as staff
from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.browser.test_console import context
from tests.sittings.conftest import load_units
from tests.stats.conftest import Simulation

pytestmark = pytest.mark.browser
__all__ = ["context"]  # the fixture, shared
PASSWORD = "statistics-admin-password"


@pytest.fixture(scope="module")
def sat(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """40 simulated candidates on F/503/0358 in the live server's database; an admin's name."""
    engine = make_engine(live_server.db_url)
    username = f"stats{secrets.token_hex(3)}"
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        clock = live_server.clock
        load_units(db, clock, tmp_path_factory.mktemp("banks"), "F-503-0358.yaml")
        if centres.find_centre(db, "C0042") is None:
            centres.create_centre(db, "C0042", "Leeds", clock.now())
        _, token = tokens.create_token(db, "stats", [tokens.ADMIN], clock.now())
        staff.create(db, clock.now(), username=username, role="administrator", password=PASSWORD)
        rng = np.random.default_rng(11)
        ids = db.scalars(select(Item.external_id).order_by(Item.external_id)).all()
        sim = Simulation(
            db,
            clock,  # type: ignore[arg-type]
            token,
            rng,
            {i: float(rng.normal(-0.5, 1.0)) for i in ids},
            prefix=f"T{secrets.token_hex(2)}",
        )
        sim.sit("C0042", 40)
    engine.dispose()
    yield username


def clean(page: Page) -> None:
    found = violations(page)
    assert found == [], f"{page.url}: {found}"


def test_statistics_in_the_browser(
    live_server: LiveServer, sat: str, context: BrowserContext, artifacts_dir: Path
) -> None:
    page = context.new_page()
    page.goto(live_server.url + "/console")
    page.get_by_label("Username").fill(sat)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    clean(page)
    page.get_by_label("Unit", exact=True).select_option("F/503/0358")
    page.get_by_role("button", name="Show statistics").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statistics: F/503/0358")
    expect(page.get_by_text("submitted, not voided results")).to_be_visible()
    pictures = page.get_by_role("img")
    assert pictures.count() >= 2
    expect(page.get_by_role("img", name="Score distribution", exact=False).first).to_be_visible()
    clean(page)
    page.screenshot(path=str(artifacts_dir / "statistics-1-page.png"), full_page=False)
    pairs = page.locator(".figure-pair")
    pairs.nth(0).screenshot(path=str(artifacts_dir / "statistics-1-distribution.png"))
    pairs.nth(1).screenshot(path=str(artifacts_dir / "statistics-1-scatter.png"))

    first = page.locator("details.item-options").first
    first.locator("summary").click()
    expect(first.get_by_role("img")).to_be_visible()
    clean(page)
    first.screenshot(path=str(artifacts_dir / "statistics-2-options.png"))

    with page.expect_download() as download:
        page.locator("p.downloads").first.get_by_role("link", name="CSV").click()
    rows = list(
        csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig")))
    )
    assert rows[0] == ["from_percent", "to_percent", "candidates"]
    assert sum(int(r[2]) for r in rows[1:]) >= 40

    option = page.get_by_label("Item version", exact=True).locator("option").nth(1)
    chosen = option.get_attribute("value")
    assert chosen
    page.get_by_label("Item version", exact=True).select_option(chosen)
    page.get_by_role("button", name="Exclude and re-mark").click()
    # the browser itself refuses a form without the reason and the confirmation
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statistics: F/503/0358")
    page.get_by_label("Reason", exact=False).fill("Two options are defensible (blind review)")
    page.get_by_label("I confirm", exact=False).check()
    page.get_by_role("button", name="Exclude and re-mark").click()
    expect(page.get_by_role("status")).to_contain_text("Excluded:")
    # the outcome takes the focus (so it is read), and a reload does not say it again
    expect(page.locator(":focus")).to_contain_text("Excluded:")
    expect(page).not_to_have_url(re.compile(r"remarked="))
    expect(page.get_by_role("region", name="Excluded item versions")).to_contain_text(
        chosen.split("|")[0]
    )
    clean(page)
    page.screenshot(path=str(artifacts_dir / "statistics-3-excluded.png"), full_page=True)

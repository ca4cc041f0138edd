"""Standard setting in chromium: an administrator runs a modified Angoff panel over two rounds
with impact data (a table and a chart) and signs it off, then a Hofstee panel with its box.
Every page passes axe; screenshots land in test-artifacts/.

Its own unit (D/601/7644) and centre, so that the cut it sets touches no other test's papers."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from app import counters
from app.banks.models import Item, ItemVersion
from app.candidates.models import Candidate
from app.centres import service as centres
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.marking.models import Result
from app.qualifications.models import Unit
from app.sittings.models import Attempt, PaperItem, Sitting
from app.staff import service as staff
from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.sittings.conftest import load_units
from tests.standards.conftest import calibrate

pytestmark = pytest.mark.browser
URN = "D/601/7644"
PASSWORD = "standards-admin-password"
SCORES = [6, 9, 11, 12, 13, 14, 14, 15, 16, 17, 18, 20]  # of 20


@pytest.fixture(scope="module")
def panel_room(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The unit's bank calibrated, a dozen results already in, and an administrator."""
    live = live_server
    tag = secrets.token_hex(3)
    engine = make_engine(live.db_url)
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        load_units(
            db, live.clock, tmp_path_factory.mktemp("banks"), "F-503-0358.yaml", "D-601-7644.yaml"
        )
        now = live.clock.now()
        centre = centres.create_centre(db, f"S{tag[:4].upper()}", "Panel centre", now)
        staff.create(db, now, username=f"panel{tag}", role="administrator", password=PASSWORD)
        unit = db.scalars(select(Unit).where(Unit.urn == URN)).one()
        versions = list(
            db.scalars(
                select(ItemVersion)
                .join(Item, Item.id == ItemVersion.item_id)
                .where(Item.unit_id == unit.id, Item.status == "live")
                .order_by(ItemVersion.id)
            )
        )
        spread = len(versions) - 1 or 1
        calibrate(db, unit.id, {v.id: -1.5 + 3.0 * n / spread for n, v in enumerate(versions)}, now)
        sitting = Sitting(
            centre_id=centre.id,
            unit_id=unit.id,
            status="closed",
            access_code="PANEL",
            scheduled_start=now,
            duration_minutes=30,
            pass_mark_percent=70,
            pool={},
            created_at=now,
            opened_at=now,
            closed_at=now,
        )
        db.add(sitting)
        db.flush()
        for n, score in enumerate(SCORES):
            person = Candidate(
                candidate_number=f"P{tag}{n:02d}",
                centre_id=centre.id,
                first_name="Pat",
                last_name=f"Panel{n}",
                extra_time_percent=0,
                created_at=now,
            )
            db.add(person)
            db.flush()
            attempt = Attempt(
                sitting_id=sitting.id,
                candidate_id=person.id,
                status="submitted",
                access_code=f"PA{n}",
                seed=n,
                allowed_seconds=1800,
                paused_seconds=0,
                submitted_at=now,
            )
            db.add(attempt)
            db.flush()
            paper = random.Random(n).sample(versions, 20)  # a randomised paper
            db.add_all(
                PaperItem(
                    attempt_id=attempt.id,
                    position=p,
                    item_version_id=v.id,
                    option_order=[],
                    answer=v.key if p <= score else None,
                    answer_seq=p,
                )
                for p, v in enumerate(paper, start=1)
            )
            db.add(
                Result(
                    seq=counters.next_value(db, "results"),
                    attempt_id=attempt.id,
                    candidate_id=person.id,
                    centre_id=centre.id,
                    unit_id=unit.id,
                    sitting_id=sitting.id,
                    score=score,
                    max_score=20,
                    percent=5.0 * score,
                    pass_mark_percent=70,
                    pass_mark=14,
                    outcome="pass" if score >= 14 else "fail",
                    by_learning_outcome=[],
                    started_at=now,
                    submitted_at=now,
                    submitted_by="candidate",
                    recorded_at=now,
                )
            )
    engine.dispose()
    yield f"panel{tag}"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(bypass_csp=True)  # axe needs bypass_csp
    yield context
    context.close()


def checked(page: Page) -> None:
    found = violations(page)
    assert found == [], f"{page.url}: {found}"


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"standards-{name}.png"), full_page=True)


def start(page: Page, method: str, title: str) -> None:
    page.get_by_role("navigation", name="Console").get_by_role(
        "link", name="Standard setting"
    ).click()
    checked(page)
    page.get_by_label("Unit").select_option(URN)
    page.get_by_label(method).check()
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Start exercise").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def add_judge(page: Page, name: str) -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Add judge").click()
    expect(page.get_by_role("status")).to_have_text("Judge added to the panel.")


def angoff(page: Page, judge: str, probability: str) -> None:
    page.get_by_label("Judge", exact=True).select_option(label=judge)
    for field in page.locator("input[name^='p-']").all():
        field.fill(probability)
    page.get_by_role("button", name="Record judgement").click()
    expect(page.get_by_role("status")).to_have_text("Judgement recorded.")


def test_an_angoff_panel_and_a_hofstee_panel(
    live_server: LiveServer, panel_room: str, context: BrowserContext, artifacts_dir: Path
) -> None:
    live = live_server
    page = context.new_page()
    page.goto(live.url + "/console")
    page.get_by_label("Username").fill(panel_room)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    start(page, "Modified Angoff", "Angoff panel")
    checked(page)
    add_judge(page, "Ann Judge")
    add_judge(page, "Bob Judge")
    # a probability out of range is refused, with the problem named
    page.get_by_label("Judge", exact=True).select_option(label="Ann Judge")
    page.locator("input[name^='p-']").first.fill("1.5")
    page.get_by_role("button", name="Record judgement").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    checked(page)
    angoff(page, "Ann Judge", "0.6")
    angoff(page, "Bob Judge", "0.75")
    table = page.get_by_role("table", name="Each cut and the pass rate it would give")
    expect(table.get_by_role("row", name="Panel")).to_contain_text("13.50")  # 20 x 0.675
    chart = page.get_by_role("img", name="Pass rate against the cut, round 1")
    expect(chart).to_be_visible()
    checked(page)
    shot(page, artifacts_dir, "1-angoff-round-1")

    page.get_by_role("button", name="Open round 2").click()
    expect(page.get_by_role("status")).to_contain_text("The next round is open")
    angoff(page, "Bob Judge", "0.65")
    expect(table.get_by_role("row", name="Panel")).to_contain_text("13.00")
    page.get_by_role("link", name="round 1").click()
    expect(table.get_by_role("row", name="Panel")).to_contain_text("13.50")
    page.go_back()
    page.get_by_label("Rationale").fill("Agreed after the round 1 impact data.")
    page.get_by_role("button", name="Sign off").click()  # not confirmed: refused, said why
    expect(page.locator(":focus")).to_contain_text("Confirm that this cut becomes")
    expect(page.get_by_label("Rationale")).to_have_value("Agreed after the round 1 impact data.")
    page.get_by_label("I confirm", exact=False).check()
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_role("status")).to_contain_text("Signed off")
    expect(page.locator("main")).to_contain_text("standard signed off")
    checked(page)
    shot(page, artifacts_dir, "2-angoff-signed-off")

    start(page, "Hofstee", "Hofstee panel")
    add_judge(page, "Hal Judge")
    for label, value in (
        ("Lowest acceptable cut (%)", "50"),
        ("Highest acceptable cut (%)", "75"),
        ("Lowest acceptable fail rate (%)", "10"),
        ("Highest acceptable fail rate (%)", "40"),
    ):
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Record judgement").click()
    expect(page.get_by_role("status")).to_have_text("Judgement recorded.")
    expect(page.locator("main")).to_contain_text("The panel's Hofstee box")
    box_chart = page.get_by_role("img", name="Pass rate against the cut, round 1")
    expect(box_chart).to_be_visible()
    checked(page)
    shot(page, artifacts_dir, "3-hofstee")
    page.locator("figure.chart").screenshot(
        path=str(artifacts_dir / "standards-4-hofstee-chart.png")
    )

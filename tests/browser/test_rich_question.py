"""A question with a rich stem (a table, a list, emphasis, sub/superscript) and a picture,
in Debian's chromium: rendered, the picture loaded with its alt text, answerable by keyboard,
and clean under axe. Screenshot: test-artifacts/candidate-rich-question.png."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, expect

from app.candidates import service as candidates
from app.centres import service as centres
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.sittings import scheduling
from app.sittings.status import SittingStatus
from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.sittings.conftest import load_units

pytestmark = pytest.mark.browser
UNIT_FILE = "D-601-7644.yaml"  # a unit the other browser tests do not sit
PICTURE = (
    Path(__file__).resolve().parents[1]
    / "fixtures/interop/qti30/kennisnet-2/resources/203508eb206cc636da22758c573a1a1b.png"
)
RICH = (
    "<p>The team leader shares <strong>last week's figures</strong> before the shift:</p>"
    "<table><caption>Calls answered</caption><thead><tr><th scope='col'>Team</th>"
    "<th scope='col'>Calls</th></tr></thead><tbody><tr><td>Blue</td><td>1.2 &times; 10<sup>3</sup>"
    "</td></tr><tr><td>Green</td><td>950</td></tr></tbody></table>"
    "<ul><li>Target: <em>1,000</em> calls</li><li>Ambient CO<sub>2</sub> logged hourly</li></ul>"
)


def _enrich(units: Path) -> None:
    bank_file = units / UNIT_FILE
    bank = yaml.safe_load(bank_file.read_text())
    (units / "media").mkdir(exist_ok=True)
    (units / "media" / "picture.png").write_bytes(PICTURE.read_bytes())
    for item in bank["items"]:
        item["stem_html"] = RICH + f"<p>{item['stem']}</p>"
        item["images"] = [{"file": "media/picture.png", "alt": "Illustration for the question"}]
    bank_file.write_text(yaml.safe_dump(bank, sort_keys=False, allow_unicode=True))


# The modules that use this fixture (this one and test_exam_offline) share one live server:
# the unit is enriched once, and each module gets a candidate of its own.
_ENRICHED: set[str] = set()
_NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def rich_seat(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str, str]]:
    engine = make_engine(live_server.db_url)
    now = live_server.clock.now()
    number = f"R{next(_NUMBERS):04d}"
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        if live_server.db_url not in _ENRICHED:
            folder = tmp_path_factory.mktemp("rich")
            load_units(db, live_server.clock, folder, UNIT_FILE, edit=_enrich)
            _ENRICHED.add(live_server.db_url)
        if centres.find_centre(db, "C0077") is None:
            centres.create_centre(db, "C0077", "Hull", now)
        candidates.create_candidate(
            db, now, candidate_number=number, centre="C0077", first_name="Rita", last_name="Rich"
        )
        sitting = scheduling.schedule(
            db, now, centre="C0077", unit="D/601/7644", scheduled_start=now,
            candidate_numbers=[number], duration_minutes=None,
        )  # fmt: skip
        sitting.status = SittingStatus.OPEN
        db.flush()
        code = dict(scheduling.codes_of(db, sitting))[number]
    engine.dispose()
    yield live_server, number, code


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(bypass_csp=True)  # axe's injected script needs it
    yield context
    context.close()


def test_rich_question_renders_accessibly(
    rich_seat: tuple[LiveServer, str, str], context: BrowserContext, artifacts_dir: Path
) -> None:
    live, number, code = rich_seat
    page = context.new_page()
    page.goto(live.url + "/exam")
    page.get_by_label("Candidate number").fill(number)
    page.get_by_label("Access code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Start the exam").click()  # the clock starts here: question 1
    table = page.get_by_role("table", name="Calls answered")
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader", name="Calls")).to_be_visible()
    expect(page.locator("#stem sup")).to_have_text("3")
    expect(page.locator("#stem li")).to_have_count(2)
    picture = page.get_by_role("img", name="Illustration for the question")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    group = page.get_by_role("group", name="Choose one answer to question 1")
    expect(group).to_be_visible()
    first = group.get_by_role("radio").first
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    page.screenshot(path=str(artifacts_dir / "candidate-rich-question.png"), full_page=True)
    assert violations(page) == []

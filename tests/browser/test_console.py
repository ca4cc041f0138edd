"""The awarding body's console in chromium, as a newcomer uses it: from the running app to a
scheduled sitting, a sat paper and a downloaded results CSV, in the browser alone. Every console
page passes axe; /docs renders with the network off."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from app.cli import main
from app.config import get_settings
from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.browser.test_exam import live_db

pytestmark = pytest.mark.browser
__all__ = ["live_db"]

ADMIN_PASSWORD = "console-admin-password"
INVIGILATOR_PASSWORD = "room-invigilator-pass"


@pytest.fixture(scope="module")
def admin(live_db: LiveServer) -> str:
    """The first staff account, made with the CLI as the README says."""
    username = f"admin{secrets.token_hex(3)}"
    get_settings.cache_clear()
    result = CliRunner(env={"EXAMHALL_DATABASE_URL": live_db.db_url}).invoke(
        main,
        ["staff", "create", "--username", username, "--role", "administrator", "--password-stdin"],
        input=ADMIN_PASSWORD + "\n",
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return username


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(bypass_csp=True, accept_downloads=True)  # axe needs bypass_csp
    yield context
    context.close()


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"console-{name}.png"), full_page=True)


def nav(page: Page, section: str) -> None:
    page.get_by_role("navigation", name="Console").get_by_role("link", name=section).click()


def checked(page: Page) -> None:
    found = violations(page)
    assert found == [], f"{page.url}: {found}"


def staff_sign_in(page: Page, live: LiveServer, username: str) -> None:
    page.goto(live.url + "/console")
    expect(page.get_by_role("heading", level=1)).to_have_text("Awarding body staff sign-in")
    checked(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Console")


def test_from_the_console_to_a_results_csv(
    live_db: LiveServer,
    admin: str,
    context: BrowserContext,
    browser: Browser,
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    live = live_db
    tag = secrets.token_hex(2).upper()
    centre, numbers = f"K{tag}", [f"K{tag}-{n}" for n in (1, 2)]
    page = context.new_page()
    staff_sign_in(page, live, admin)
    checked(page)
    shot(page, artifacts_dir, "1-home")

    # A centre and its invigilator.
    nav(page, "Centres")
    page.get_by_label("Centre code").fill(centre)
    page.get_by_label("Centre name").fill("Kendal College")
    page.get_by_role("button", name="Add centre").click()
    expect(page.get_by_role("status").first).to_have_text("Centre added.")
    checked(page)
    page.get_by_role("link", name=centre, exact=True).click()
    page.get_by_label("Username").fill("kim")
    page.get_by_label("Password").fill(INVIGILATOR_PASSWORD)
    page.get_by_role("button", name="Create invigilator account").click()
    expect(page.get_by_role("status").first).to_have_text("Invigilator account created.")
    checked(page)

    # Candidates from a spreadsheet: a bad file first, refused whole, then the corrected one.
    nav(page, "Candidates")
    checked(page)
    page.get_by_role("link", name="Upload candidates from CSV").click()
    checked(page)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "candidate_number,centre,first_name,last_name,extra_time_percent\n"
        f"{numbers[0]},{centre},Kay,Kendal,25\n{numbers[1]},{centre},,Kendal,lots\n"
    )
    page.get_by_label("CSV file").set_input_files(bad)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported: 2 problems")
    expect(page.locator("#problem-table tbody tr")).to_have_count(2)
    checked(page)
    shot(page, artifacts_dir, "2-upload-refused")
    page.goto(live.url + f"/console/candidates?centre={centre}")
    expect(page.get_by_role("status")).to_have_text("0 candidates found.")
    good = tmp_path / "good.csv"
    good.write_text(
        "candidate_number,centre,first_name,last_name,extra_time_percent\n"
        f"{numbers[0]},{centre},Kay,Kendal,25\n{numbers[1]},{centre},Lee,Kendal,0\n"
    )
    page.goto(live.url + "/console/candidates/upload")
    page.get_by_label("CSV file").set_input_files(good)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("status").first).to_contain_text("Imported 2 candidates")
    page.get_by_role("link", name=numbers[0]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kay Kendal")
    checked(page)

    # Schedule the sitting.
    nav(page, "Sittings")
    checked(page)
    page.get_by_role("link", name="Schedule a sitting").first.click()
    page.get_by_label("Centre", exact=True).select_option(centre)
    page.get_by_role("button", name="Choose this centre").click()
    page.get_by_label("Unit", exact=True).select_option("F/503/0358")
    tomorrow = live_db.clock.now() + timedelta(days=1)  # the console refuses a start days ago
    page.get_by_label("Start (UTC)").fill(f"{tomorrow:%Y-%m-%d}T09:00")
    page.get_by_role("button", name="Select all").click()
    checked(page)
    shot(page, artifacts_dir, "3-schedule")
    page.get_by_role("button", name="Schedule the sitting").click()
    expect(page.get_by_role("status").first).to_contain_text("Sitting scheduled")
    checked(page)
    sitting_id = page.url.rsplit("/", 1)[1].split("?")[0]
    expect(page.locator("table").first).to_contain_text(numbers[1])
    page.get_by_role("link", name="Print candidate slips").click()
    slip = page.locator(".slip").filter(has_text=numbers[0])
    code = slip.locator(".slip-code").inner_text().strip()
    assert len(code) >= 8
    checked(page)
    shot(page, artifacts_dir, "3b-slips")

    # The invigilator starts it.
    room = browser.new_context()
    invigilator = room.new_page()
    invigilator.goto(live.url + "/invigilate")
    invigilator.get_by_label("Centre code").fill(centre)
    invigilator.get_by_label("Username").fill("kim")
    invigilator.get_by_label("Password").fill(INVIGILATOR_PASSWORD)
    invigilator.get_by_role("button", name="Sign in").click()
    invigilator.get_by_role("link", name=f"Session {sitting_id}", exact=True).click()
    invigilator.get_by_role("link", name="Start the session").click()
    invigilator.get_by_role("button", name="Yes, start the session").click()
    expect(invigilator.locator("#session-status")).to_have_text("Open")

    # A candidate sits the paper (the other never turns up).
    desk = browser.new_context()
    candidate = desk.new_page()
    candidate.goto(live.url + "/exam")
    candidate.get_by_label("Candidate number").fill(numbers[0])
    candidate.get_by_label("Access code").fill(code)
    candidate.get_by_role("button", name="Sign in").click()
    candidate.get_by_role("button", name="Start the exam").click()  # the clock starts here
    for position in range(1, 16):
        expect(candidate.locator(".q-count")).to_have_text(f"Question {position} of 15")
        candidate.locator("input[name=option]").first.check()
        expect(candidate.locator("#save-status")).to_contain_text("Saved")
        if position < 15:
            candidate.get_by_role("button", name="Next").click()
    candidate.get_by_role("button", name="Review answers").click()
    candidate.get_by_role("link", name="Finish and submit").click()
    candidate.get_by_role("button", name="Yes, submit my exam").click()
    expect(candidate.get_by_role("heading", level=1)).to_have_text("Your exam has been submitted")
    desk.close()

    # The invigilator closes the room.
    invigilator.get_by_role("link", name="Close the session").click()
    invigilator.get_by_role("button", name="Yes, close the session").click()
    expect(invigilator.locator("#session-status")).to_have_text("Closed")
    room.close()

    # Back in the console: the sitting's register and journal, then the results as CSV.
    page.goto(live.url + f"/console/sittings/{sitting_id}")
    expect(page.locator("main")).to_contain_text("The journal is intact")
    expect(page.locator("main")).to_contain_text("session closed")
    checked(page)
    shot(page, artifacts_dir, "4-sitting")
    nav(page, "Results")
    page.get_by_label("Centre", exact=True).select_option(centre)
    page.get_by_role("button", name="Show results").click()
    expect(page.get_by_role("status")).to_have_text("1 result.")
    checked(page)
    shot(page, artifacts_dir, "5-results")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these results as CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("results-")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert [(r["candidate_number"], r["centre"], r["unit"], r["session_id"]) for r in rows] == [
        (numbers[0], centre, "F/503/0358", sitting_id)
    ]
    assert rows[0]["submitted_by"] == "candidate" and rows[0]["max_score"] == "15"
    assert rows[0]["outcome"] in ("pass", "fail")


# The console's pages that need no set-up beyond the live database's own
PAGES = (
    "/console/centres",
    "/console/candidates",
    "/console/sittings",
    "/console/sittings/new?centre=C0042",
    "/console/results",
    "/console/tokens",
    "/console/webhooks",
    "/console/banks",
    "/console/banks/F-503-0358",
    "/console/statistics/F-503-0358",
    "/console/calibration/F-503-0358",
    "/console/standards",
)


def test_every_other_console_page_passes_axe(
    live_db: LiveServer, admin: str, context: BrowserContext, artifacts_dir: Path
) -> None:
    page = context.new_page()
    staff_sign_in(page, live_db, admin)
    for path in PAGES:
        page.goto(live_db.url + path)
        expect(page.locator("h1")).to_be_visible()
        checked(page)
    page.goto(live_db.url + "/console/tokens")
    page.get_by_label("Name").fill(f"feed {secrets.token_hex(2)}")
    page.get_by_role("button", name="Create token").click()
    assert page.get_by_label("Token value").input_value().startswith("eh_")
    checked(page)
    shot(page, artifacts_dir, "6-token")
    page.goto(live_db.url + "/console/banks/F-503-0358")
    shot(page, artifacts_dir, "7-bank")


def test_the_skip_link_passes_the_console_navigation(
    live_db: LiveServer, admin: str, context: BrowserContext
) -> None:
    """WCAG 2.4.1: the navigation was inside <main>, so 'Skip to main content' landed before
    its dozen links."""
    page = context.new_page()
    staff_sign_in(page, live_db, admin)
    page.goto(live_db.url + "/console/results")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.evaluate("e => !e.closest('nav') && !!e.closest('main')"), focused.inner_html()


def _server_says(page: Page, left: dict[str, int | None]) -> None:
    """GET /console/session answers what the test says: seconds left, or None for a sign-in
    that has ended (401). The server's own rules are tests/console/test_idle.py's."""

    def answer(route: Route) -> None:
        if left["seconds"] is None:
            route.fulfill(status=401, json={"status": 401, "title": "Not authenticated"})
        else:
            route.fulfill(status=200, json={"seconds_left": left["seconds"]})

    page.route("**/console/session", answer)


def test_the_idle_timeout_warns_and_lets_the_user_stay(
    live_db: LiveServer, admin: str, context: BrowserContext, artifacts_dir: Path
) -> None:
    """WCAG 2.2.1: two minutes before the console's idle timeout a dialog says so, takes the
    focus and offers to stay signed in; staying renews the sign-in without leaving the page
    (what was typed stays); left alone, the dialog says the sign-in has ended. The page's
    time is Playwright's clock; what the server says of the sign-in is the test's."""
    page = context.new_page()
    page.clock.install()
    left: dict[str, int | None] = {"seconds": 90}
    _server_says(page, left)
    staff_sign_in(page, live_db, admin)
    page.goto(live_db.url + "/console/results")
    page.get_by_label("Submitted from (date)").fill("2026-01-02")
    idle = get_settings().console_idle_minutes * 60
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    page.clock.run_for((idle - 200) * 1000)
    expect(dialog).to_be_hidden()
    with page.expect_response(lambda r: r.url.endswith("/console/session")):
        page.clock.run_for(100_000)  # the page asks the server before it warns
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    checked(page)
    shot(page, artifacts_dir, "idle-warning")
    with page.expect_response(lambda r: r.url.endswith("/console/alive")) as renewed:
        page.keyboard.press("Enter")
    assert renewed.value.status == 204  # renewed for real
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Submitted from (date)")).to_have_value("2026-01-02")
    left["seconds"] = None  # meanwhile the sign-in has ended
    with page.expect_response(lambda r: r.url.endswith("/console/session")):
        page.clock.run_for((idle - 100) * 1000)
    ended = page.get_by_role("dialog", name="You have been signed out")
    expect(ended).to_be_visible()
    expect(ended.get_by_role("link", name="Sign in again")).to_be_focused()
    checked(page)
    shot(page, artifacts_dir, "idle-ended")
    ended.get_by_role("button", name="Close this message").click()  # to copy what was typed
    expect(ended).to_be_hidden()
    expect(page.get_by_label("Submitted from (date)")).to_have_value("2026-01-02")


def test_another_tabs_use_keeps_this_one_from_warning(
    live_db: LiveServer, admin: str, context: BrowserContext
) -> None:
    """A review: a console tab left open beside one in use warned at 28 minutes and said
    "signed out" at 30 while the sign-in held. The page asks the server before either."""
    page = context.new_page()
    page.clock.install()
    _server_says(page, {"seconds": 1500})  # the other tab renewed it
    staff_sign_in(page, live_db, admin)
    page.goto(live_db.url + "/console/results")
    idle = get_settings().console_idle_minutes * 60
    with page.expect_response(lambda r: r.url.endswith("/console/session")):
        page.clock.run_for((idle - 100) * 1000)
    page.clock.run_for(10_000)
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_console_pages_reflow_at_320_px(
    live_db: LiveServer, admin: str, browser: Browser, artifacts_dir: Path
) -> None:
    """WCAG 1.4.10 for the staff too: no page scrolls sideways at 320 px (a data table may
    scroll inside its own region, which a keyboard can reach). A new user's trial found the
    candidates page 590 px wide."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    staff_sign_in(page, live_db, admin)
    wide: list[str] = []
    for path in ("/console", "/console/candidates/upload", "/console/statistics", *PAGES):
        page.goto(live_db.url + path)
        expect(page.locator("h1")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide.append(f"{path}: {width} px")
            shot(page, artifacts_dir, "320-" + path.strip("/").replace("/", "-").split("?")[0])
    context.close()
    assert wide == []


def test_docs_render_with_the_network_off(
    live_db: LiveServer, browser: Browser, artifacts_dir: Path
) -> None:
    context = browser.new_context()  # the app's own policy applies: no bypass
    outside: list[str] = []

    def only_this_service(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        if request.url.startswith(live_db.url):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(request.url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", only_this_service)
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto(live_db.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("examhall", timeout=15_000)
    page.get_by_text("/api/v1/sessions", exact=True).first.click()
    expect(page.locator(".swagger-ui")).to_contain_text("application/problem+json")
    page.screenshot(path=str(artifacts_dir / "docs-offline.png"), full_page=False)
    assert outside == [] and refused == []
    context.close()

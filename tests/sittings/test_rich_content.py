"""Rich stems and pictures on the candidate's page: kept, rendered accessibly, and safe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.banks.models import ItemMedia, ItemVersion
from app.clock import MovableClock
from tests.banks.builder import PNG
from tests.sittings.conftest import Room, code, make_room

RICH = (
    "<p>Calls answered by <em>each team</em>:</p>"
    "<table><caption>Calls</caption><tr><th scope='col'>Team</th><th scope='col'>Calls</th></tr>"
    "<tr><td>Blue</td><td>10<sup>2</sup></td></tr></table><ul><li>CO<sub>2</sub></li></ul>"
)


def _enrich(units: Path) -> None:
    bank_file = units / "F-503-0358.yaml"
    bank = yaml.safe_load(bank_file.read_text())
    (units / "media").mkdir()
    (units / "media" / "chart.png").write_bytes(PNG)
    for item in bank["items"]:
        item["stem_html"] = RICH
        item["images"] = [{"file": "media/chart.png", "alt": "A bar chart of calls per team"}]
    bank_file.write_text(yaml.safe_dump(bank, sort_keys=False, allow_unicode=True))


@pytest.fixture
def rich_room(client: TestClient, db: Session, clock: MovableClock, tmp_path: Path) -> Room:
    return make_room(client, db, clock, tmp_path, edit=_enrich)


def test_the_loader_keeps_rich_text_and_stores_each_picture_once(
    rich_room: Room, db: Session
) -> None:
    versions = db.scalars(select(ItemVersion)).all()
    assert versions and all(v.stem_html == RICH for v in versions)
    assert all(v.images and v.images[0]["alt"] == "A bar chart of calls per team" for v in versions)
    assert [m.content_type for m in db.scalars(select(ItemMedia))] == ["image/png"]


def test_the_page_renders_rich_text_and_the_picture_with_its_alt(rich_room: Room) -> None:
    session = rich_room.open_session(["N001"])
    rich_room.sign_in("N001", code(session, "N001"))
    page = rich_room.client.get("/exam/q/1").text
    assert '<div class="stem stem-rich" id="stem"><p>Calls answered by <em>each team</em>' in page
    assert "<caption>Calls</caption>" in page and "10<sup>2</sup>" in page
    assert "Choose one answer to question 1" in page  # the group keeps an accessible name
    picture = re.search(r'<img src="(/exam/media/[0-9a-f]{64})" alt="([^"]*)">', page)
    assert picture and picture.group(2) == "A bar chart of calls per team"
    served = rich_room.client.get(picture.group(1))
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    # a picture that is on no paper of this candidate is not served, nor to strangers
    assert rich_room.client.get("/exam/media/" + "0" * 64).status_code == 404
    rich_room.client.cookies.clear()
    stranger = rich_room.client.get(picture.group(1), follow_redirects=False)
    assert stranger.status_code == 303


def test_markup_outside_the_subset_never_reaches_the_page(rich_room: Room, db: Session) -> None:
    # even if a version held hostile markup (the validator refuses it), rendering cleans it
    hostile = (
        '<p onclick="steal()" style="color:red">Pick <b>one</b></p><script>steal()</script>'
        "<style>body{display:none}</style><img src=x onerror=steal()><a href='javascript:x'>go</a>"
        "<iframe src='https://evil.example'></iframe>"
    )
    db.execute(update(ItemVersion).values(stem_html=hostile))
    db.flush()
    session = rich_room.open_session(["N001"])
    rich_room.sign_in("N001", code(session, "N001"))
    page = rich_room.client.get("/exam/q/1").text
    stem = page[page.index('id="stem"') : page.index("</div>", page.index('id="stem"'))]
    assert "<p>Pick <b>one</b></p>" in stem
    for bad in ("onclick", "style=", "<script", "steal()", "<style", "onerror", "javascript:",
                "<iframe", "<a "):  # fmt: skip
        assert bad not in stem, bad

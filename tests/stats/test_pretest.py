"""Item statistics on papers that carry pretest items: the pretest items described like any
other (against the candidate's score on the scored items), marked as pretest, and never counted
in anyone's score; every figure against the independent computation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import tokens
from app.banks.models import Item
from app.centres import service as centres
from app.clock import MovableClock
from app.marking.models import Result
from app.qualifications import service as qualifications
from app.stats import service, tables
from tests.console.conftest import SignIn, console
from tests.papers.pretest_bank import PREFIX, with_pretest
from tests.sittings.conftest import load_units
from tests.stats.conftest import UNIT, UNIT_PATH, Simulation
from tests.stats.reference import reference
from tests.stats.test_item_statistics import assert_matches, fetch

__all__ = ["console"]
CONTRACT_ITEM = {"item_id", "version", "n", "facility", "discrimination", "flags", "options"}
CONTRACT_OPTION = {"id", "text", "chosen"}


def pretest_simulation(db: Session, clock: MovableClock, tmp_path: Path) -> Simulation:
    load_units(db, clock, tmp_path, "F-503-0358.yaml", edit=with_pretest(6, 3))
    _, token = tokens.create_token(db, "ab", [tokens.ADMIN], clock.now())
    centres.create_centre(db, "C0042", "Leeds", clock.now())
    rng = np.random.default_rng(11)
    ids = db.scalars(select(Item.external_id).order_by(Item.external_id)).all()
    difficulty = {i: float(rng.normal(-0.5, 1.0)) for i in ids}
    db.flush()
    return Simulation(db, clock, token, rng, difficulty)


def test_pretest_items_are_described_and_marked_but_never_scored(
    db: Session, clock: MovableClock, tmp_path: Path, client: TestClient
) -> None:
    sim = pretest_simulation(db, clock, tmp_path)
    sim.sit("C0042", 40)
    body = fetch(client, sim)
    unit = qualifications.get_unit(db, UNIT)
    expected = reference(db, unit.id)
    assert_matches(body, expected)
    items = {i["item_id"]: i for i in body["items"]}
    pretest = {k: v for k, v in items.items() if k.startswith(PREFIX)}
    assert len(pretest) == 6  # 40 papers x 3, spread: every pretest item was sat
    assert sum(i["n"] for i in pretest.values()) == 40 * 3
    for item_id, item in items.items():
        unscored = item_id.startswith(PREFIX)
        assert item["pretest"] == unscored and ("pretest" in item["flags"]) == unscored
        assert item["pretest_n"] == (item["n"] if unscored else 0)
        assert item["pretest_n"] == expected["items"][(item_id, 1)]["pretest_n"]
        # the contract's members are all there, unchanged in name
        assert set(item) >= CONTRACT_ITEM
        assert all(set(o) >= CONTRACT_OPTION for o in item["options"])
    # every result's score is the scored items' alone (the reference's total)
    for result in db.scalars(select(Result)):
        assert result.max_score == 15


def test_the_console_and_the_csv_mark_pretest_items(
    db: Session, clock: MovableClock, tmp_path: Path, client: TestClient, console: SignIn
) -> None:
    sim = pretest_simulation(db, clock, tmp_path)
    sim.sit("C0042", 8)
    stats = service.item_statistics(db, unit=UNIT)
    rows = tables.rows(stats, "items")
    column = tables.COLUMNS["items"].index("pretest_n")
    marked = {r[0] for r in rows if r[column]}
    assert marked == {i.item_id for i in stats.items if i.item_id.startswith(PREFIX)} != set()
    console("results_officer")
    page = client.get(f"/console/statistics/{UNIT_PATH}")
    assert page.status_code == 200
    assert page.text.count('<span class="tag">pretest') == len(marked)

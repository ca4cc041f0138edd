"""Pretest items in calibration: their responses are calibrated with every other (onto the live
items' scale), while each paper's pass mark and its precision read the scored items alone."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.calibration import service
from app.calibration.api import calibration_out
from app.clock import MovableClock
from app.sittings.models import PaperItem
from tests.calibration.conftest import Bank, record, simulate

TRUE_B = np.random.default_rng(42).normal(0, 1, 60)
LIVE, PRETEST = list(range(50)), list(range(50, 60))


def sit_with_pretest(
    db: Session, bank: Bank, clock: MovableClock, persons: int, seed: int, pretest: int = 5
) -> None:
    """Papers of 20 live items and `pretest` of the pretest items, the pretest ones flagged as
    assembly flags them (calibration reads the responses, never the scores)."""
    rng = np.random.default_rng(seed)
    thetas = rng.normal(0, 1, persons)
    scored = simulate(rng, bank, TRUE_B, thetas, 20, LIVE)
    extra = simulate(rng, bank, TRUE_B, thetas, pretest, PRETEST)
    papers = [s + e for s, e in zip(scored, extra, strict=True)]
    record(db, bank, papers, clock.now(), pass_mark_percent=50)
    db.execute(
        update(PaperItem)
        .where(PaperItem.item_version_id.in_([bank.versions[k] for k in PRETEST]))
        .values(pretest=True)
    )
    db.flush()


def test_the_window_reads_pretest_responses_and_scored_pass_marks(
    db: Session, bank: Bank, clock: MovableClock
) -> None:
    sit_with_pretest(db, bank, clock, 30, seed=3)
    clock.advance(hours=1)
    window = service.load_window(db, bank.unit_id, None, clock.now())
    assert len(window.data.x) == 30 * 25  # every response, pretest ones included
    assert {bank.versions[k] for k in PRETEST} <= set(window.versions)
    # 50 % of the 20 scored items: 10 marks (of all 25 on the paper it would be 13)
    assert window.raw_pass.tolist() == [10] * 30
    scored = window.scored_data()
    assert len(scored.x) == 30 * 20
    pretest_items = {window.versions.index(bank.versions[k]) for k in PRETEST}
    assert not set(scored.item.tolist()) & pretest_items


def test_pretest_items_land_on_the_live_items_scale(
    db: Session, bank: Bank, clock: MovableClock
) -> None:
    # a first window of live items alone sets the scale (centred on them) ...
    rng = np.random.default_rng(1)
    record(db, bank, simulate(rng, bank, TRUE_B, rng.normal(0, 1, 800), 20, LIVE), clock.now())
    clock.advance(hours=1)
    first = service.calibrate_unit(db, bank.unit_id, clock.now())
    clock.advance(days=30)
    # ... then papers carry pretest items: the live items anchor the run, the pretest ones are
    # estimated free beside them, from the same candidates' responses
    sit_with_pretest(db, bank, clock, 800, seed=2)
    clock.advance(hours=1)
    second = service.calibrate_unit(db, bank.unit_id, clock.now())
    assert second.anchor_run_id == first.id
    rows = {d.item_version_id: d for d in second.items}
    scale = TRUE_B - TRUE_B[:50].mean()
    close = []
    for k in PRETEST:
        row = rows[bank.versions[k]]
        assert not row.anchored and not row.carried and row.n_window > 0
        close.append(abs(row.b - scale[k]) < 2 * row.se)
    assert np.mean(close) >= 0.8
    assert all(rows[bank.versions[k]].anchored for k in LIVE if not rows[bank.versions[k]].drift)
    got = service.difficulties(db, bank.unit_id)
    assert {bank.versions[k] for k in PRETEST} <= set(got)  # standard setting can read them
    assert second.in_doubt is not None and 0 < second.in_doubt < 1
    # the calibration's report says which items are still pretest (ready to promote)
    pretest_ids = [bank.versions[k] for k in PRETEST]
    db.execute(
        update(Item)
        .where(Item.id.in_(select(ItemVersion.item_id).where(ItemVersion.id.in_(pretest_ids))))
        .values(status="pretest")
    )
    report = calibration_out(db, bank.urn, bank.unit_id, None)
    assert report.run is not None
    status = {i.item_version_id: i.status for i in report.run.items}
    assert {v for v, s in status.items() if s == "pretest"} == set(pretest_ids)


def test_a_first_window_with_pretest_items_calibrates_them_concurrently(
    db: Session, bank: Bank, clock: MovableClock
) -> None:
    sit_with_pretest(db, bank, clock, 800, seed=5)
    clock.advance(hours=1)
    service.calibrate_unit(db, bank.unit_id, clock.now())
    got = service.difficulties(db, bank.unit_id)
    items = LIVE + PRETEST
    b = np.array([got[bank.versions[k]][0] for k in items])
    se = np.array([got[bank.versions[k]][1] for k in items])
    truth = TRUE_B[items] - TRUE_B[items].mean()  # a first run is centred on all its items
    assert np.mean(np.abs(b - truth) < 2 * se) >= 0.9
    pretest = np.array([k >= 50 for k in items])
    assert np.corrcoef(b[pretest], truth[pretest])[0, 1] > 0.9

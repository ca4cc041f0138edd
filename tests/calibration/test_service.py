"""Calibration through the database: windows of simulated results, anchored runs, drift,
carried items, live health, and the interface standard setting reads."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session

from app.calibration import service
from app.clock import MovableClock
from app.errors import Conflict, Invalid
from tests.calibration.conftest import Bank, record, simulate

TRUE_B = np.random.default_rng(42).normal(0, 1, 60)


def first_window(db: Session, bank: Bank, clock: MovableClock, persons: int = 500) -> None:
    rng = np.random.default_rng(1)
    papers = simulate(rng, bank, TRUE_B, rng.normal(0, 1, persons), 20, list(range(50)))
    record(db, bank, papers, clock.now())


def test_a_first_run_is_centred_and_recovers_the_difficulties(
    db: Session, bank: Bank, clock: MovableClock
) -> None:
    first_window(db, bank, clock)
    clock.advance(hours=1)
    run = service.calibrate_unit(db, bank.unit_id, clock.now())
    assert run.anchor_run_id is None and run.window_from is None
    assert run.n_candidates == 500 and run.n_responses == 500 * 20 and run.n_items == 50
    got = service.difficulties(db, bank.unit_id)
    assert set(got) == set(bank.versions[:50])  # items never sat are not calibrated
    b = np.array([got[v][0] for v in bank.versions[:50]])
    se = np.array([got[v][1] for v in bank.versions[:50]])
    truth = TRUE_B[:50] - TRUE_B[:50].mean()
    assert b.mean() == pytest.approx(0.0, abs=1e-9)
    assert np.mean(np.abs(b - truth) < 2 * se) >= 0.9
    assert np.corrcoef(b, truth)[0, 1] > 0.95
    assert sum(got[v][2] for v in got) == 500 * 20
    assert 0.5 < (run.reliability or 0) < 0.95
    assert run.sem_cut is not None and run.sem_cut_raw is not None and run.in_doubt is not None
    assert 0 < run.in_doubt < 1


def test_omitted_answers_score_zero_as_marking_does(
    db: Session, bank: Bank, clock: MovableClock
) -> None:
    v = bank.versions
    papers: list[list[tuple[int, int | None]]] = [
        [(v[0], None), (v[1], 1)],
        [(v[0], 1), (v[1], 0)],
        [(v[0], 0), (v[1], 1)],
    ]
    record(db, bank, papers, clock.now())
    clock.advance(hours=1)
    run = service.calibrate_unit(db, bank.unit_id, clock.now())
    counts = {d.item_version_id: (d.n, d.n_correct) for d in run.items}
    assert counts == {v[0]: (3, 1), v[1]: (3, 2)}


def test_the_next_window_is_anchored_and_flags_the_drifted_item(
    db: Session, bank: Bank, clock: MovableClock
) -> None:
    first_window(db, bank, clock, persons=800)
    clock.advance(hours=1)
    first = service.calibrate_unit(db, bank.unit_id, clock.now())
    before = service.difficulties(db, bank.unit_id)
    clock.advance(days=30)
    # the second window: items 10..59 (10 new, 10 retired), abler candidates, item 25 harder
    rng = np.random.default_rng(2)
    changed = TRUE_B.copy()
    changed[25] += 1.5
    papers = simulate(rng, bank, changed, rng.normal(0.6, 1, 800), 20, list(range(10, 60)))
    record(db, bank, papers, clock.now())
    clock.advance(hours=1)
    second = service.calibrate_unit(db, bank.unit_id, clock.now())
    assert second.anchor_run_id == first.id and second.window_from == first.window_to
    rows = {d.item_version_id: d for d in second.items}
    drifted = [k for k, v in enumerate(bank.versions) if v in rows and rows[v].drift]
    assert drifted == [25]
    assert not rows[bank.versions[25]].anchored
    held = [k for k, v in enumerate(bank.versions) if v in rows and rows[v].anchored]
    assert held == [k for k in range(10, 50) if k != 25]
    for k in held:  # anchors keep their difficulty exactly
        assert rows[bank.versions[k]].b == before[bank.versions[k]][0]
    for k in range(10):  # not sat: carried on, unchanged
        row = rows[bank.versions[k]]
        assert row.carried and row.b == before[bank.versions[k]][0] and row.n_window == 0
    # new items land on the first run's scale, within their errors
    scale = TRUE_B - TRUE_B[:50].mean()
    close = [
        abs(rows[bank.versions[k]].b - scale[k]) < 2 * rows[bank.versions[k]].se
        for k in range(50, 60)
    ]
    assert np.mean(close) >= 0.8
    assert second.person_mean == pytest.approx(0.6 - TRUE_B[:50].mean(), abs=0.15)
    assert second.link_shift == pytest.approx(TRUE_B[10:60].mean() - TRUE_B[:50].mean(), abs=0.15)


def test_an_empty_window_and_a_backwards_window_change_nothing(
    db: Session, bank: Bank, clock: MovableClock
) -> None:
    with pytest.raises(Conflict):
        service.calibrate_unit(db, bank.unit_id, clock.now())
    with pytest.raises(Invalid):
        service.calibrate_unit(
            db, bank.unit_id, clock.now(), clock.now(), clock.now() - timedelta(days=1)
        )
    assert service.difficulties(db, bank.unit_id) == {}


def test_live_health_flags_a_leaked_item_before_the_window_closes(
    db: Session, bank: Bank, clock: MovableClock
) -> None:
    first_window(db, bank, clock, persons=600)
    clock.advance(hours=1)
    run = service.calibrate_unit(db, bank.unit_id, clock.now())
    clock.advance(days=7)
    rng = np.random.default_rng(3)
    papers = simulate(rng, bank, TRUE_B, rng.normal(0, 1, 400), 20, list(range(50)))
    leaked = bank.versions[12]
    papers = [[(v, 1 if v == leaked else x) for v, x in paper] for paper in papers]
    record(db, bank, papers, clock.now())
    clock.advance(minutes=5)
    health = service.item_health(db, bank.unit_id, run.window_to, clock.now())
    flagged = {h.item_version_id: h.flags for h in health.items if h.flags}
    assert list(flagged) == [leaked] and "easier" in flagged[leaked]
    assert health.items[0].item_version_id == leaked  # flagged first
    assert health.candidates == 400 and health.uncalibrated == 0
    with pytest.raises(Invalid):
        service.item_health(db, bank.unit_id, clock.now() + timedelta(days=1), clock.now())


def test_live_health_counts_responses_to_items_not_yet_calibrated(
    db: Session, bank: Bank, clock: MovableClock
) -> None:
    first_window(db, bank, clock, persons=300)
    clock.advance(hours=1)
    run = service.calibrate_unit(db, bank.unit_id, clock.now())
    clock.advance(days=1)
    v = bank.versions
    record(db, bank, [[(v[0], 1), (v[55], 0), (v[56], None)], [(v[1], 0), (v[57], 1)]], clock.now())
    clock.advance(minutes=5)
    health = service.item_health(db, bank.unit_id, run.window_to, clock.now())
    assert health.candidates == 2 and health.uncalibrated == 3
    assert {h.item_version_id for h in health.items} == {v[0], v[1]}
    assert all(h.flags == [] for h in health.items)  # 1 response each: below the gate

"""The interface standard setting reads: the unit's latest calibration, item by item."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.calibration import service
from app.calibration.models import CalibrationRun, ItemDifficulty
from app.clock import MovableClock
from tests.calibration.conftest import Bank


def _run(db: Session, bank: Bank, clock: MovableClock, bs: dict[int, float]) -> CalibrationRun:
    run = CalibrationRun(
        unit_id=bank.unit_id,
        created_at=clock.now(),
        window_to=clock.now(),
        method="test",
        n_candidates=10,
    )
    run.items = [ItemDifficulty(item_version_id=v, b=b, se=0.25, n=40) for v, b in bs.items()]
    db.add(run)
    db.flush()
    return run


def test_no_calibration_gives_nothing(db: Session, bank: Bank) -> None:
    assert service.difficulties(db, bank.unit_id) == {}


def test_the_latest_run_is_the_one_read(db: Session, bank: Bank, clock: MovableClock) -> None:
    first, second = bank.versions[:2]
    _run(db, bank, clock, {first: -0.5, second: 0.5})
    clock.advance(days=30)
    _run(db, bank, clock, {first: -0.25})
    assert service.difficulties(db, bank.unit_id) == {first: (-0.25, 0.25, 40)}

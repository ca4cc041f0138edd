"""Queries for calibration: the runs and difficulties, and the responses they are made from.

Calibration reads every centre's results for a unit by design (an item's difficulty is the
awarding body's, not a centre's); nothing here is served to a centre."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calibration.models import CalibrationRun, ItemDifficulty


def latest_run(db: Session, unit_id: int) -> CalibrationRun | None:
    return db.scalars(
        select(CalibrationRun)
        .where(CalibrationRun.unit_id == unit_id)
        .order_by(CalibrationRun.id.desc())
        .limit(1)
    ).first()


def run_difficulties(db: Session, run_id: int) -> list[ItemDifficulty]:
    return list(
        db.scalars(
            select(ItemDifficulty)
            .where(ItemDifficulty.run_id == run_id)
            .order_by(ItemDifficulty.item_version_id)
        )
    )

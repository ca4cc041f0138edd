"""Calibration's rules: the unit's bank on the Rasch scale, read and recalibrated."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.calibration import repository


def difficulties(db: Session, unit_id: int) -> dict[int, tuple[float, float, int]]:
    """item_version_id -> (b, se, n) from the unit's latest calibration; {} when it has none."""
    run = repository.latest_run(db, unit_id)
    if run is None:
        return {}
    return {d.item_version_id: (d.b, d.se, d.n) for d in repository.run_difficulties(db, run.id)}

"""`examhall calibrate`: a calibration in the command's own process, off any request path."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.calibration import service
from app.qualifications import service as qualifications


def calibrate_unit(
    db: Session,
    unit: str,
    now: datetime,
    window_from: datetime | None,
    window_to: datetime | None,
    from_start: bool,
) -> dict[str, Any]:
    """Calibrate the unit (its URN, '/' or '-'); the run's figures, flagged items first."""
    u = qualifications.get_unit(db, unit.replace("-", "/").upper())
    run = service.calibrate_unit(
        db, u.id, now, _utc(window_from), _utc(window_to), from_start=from_start
    )
    rows = sorted(run.items, key=lambda d: (not d.drift, d.item_version_id))
    names = service.labels(db, [d.item_version_id for d in rows])
    status = service.statuses(db, [d.item_version_id for d in rows])
    return {
        "unit": u.urn,
        "run": run.id,
        "window": [run.window_from, run.window_to],
        "anchored_to": run.anchor_run_id,
        "candidates": run.n_candidates,
        "responses": run.n_responses,
        "link_shift": round(run.link_shift, 4),
        "anchored_items": run.anchored_items,
        **{k: None if v is None else round(v, 4) for k, v in service.summary(run).items()},
        "items": [
            {
                "item": names[d.item_version_id][0],
                "version": names[d.item_version_id][1],
                "b": round(d.b, 4),
                "se": round(d.se, 4),
                "n": d.n,
                "anchored": d.anchored,
                "carried": d.carried,
                "drift": d.drift,
                "extreme": d.extreme,
                "status": status.get(d.item_version_id),
            }
            for d in rows
        ],
    }


def _utc(value: datetime | None) -> datetime | None:
    """click gives naive datetimes: the command's times are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)

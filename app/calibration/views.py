"""What the console's calibration pages show, gathered in one read (on the calibration
worker's thread: see app/console/calibration.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.calibration import figures, service
from app.errors import AppError
from app.qualifications import service as qualifications


def overview(db: Session) -> list[dict[str, Any]]:
    """Every loaded unit and its latest run (or None)."""
    units = {
        m.unit.id: m.unit for q in qualifications.all_qualifications(db) for m in q.memberships
    }
    return [
        {"unit": unit, "run": service.latest_run(db, unit.id)}
        for unit in sorted(units.values(), key=lambda u: u.urn)
    ]


def unit(db: Session, urn: str, now: datetime) -> dict[str, Any]:
    """The unit, its latest run and items, live health since the run, the information curve."""
    unit = qualifications.get_unit(db, urn)
    found = service.latest(db, unit.id)
    context: dict[str, Any] = {
        "unit": unit,
        "run": None,
        "health": None,
        "health_error": None,
        "statuses": {},
    }
    if found is None:
        return context
    run, rows = found
    names = service.labels(db, [d.item_version_id for d in rows])
    paper_items = unit.test_spec.items if unit.test_spec else 0
    curve = figures.information_curve(service.information(rows, paper_items), run.theta_cut)
    try:
        health = service.item_health(db, unit.id, run.window_to, now)
    except AppError as exc:
        health, context["health_error"] = None, exc.detail
    context.update(
        run=run,
        rows=rows,
        names=names,
        statuses=service.statuses(db, [d.item_version_id for d in rows]),
        drifted=[d for d in rows if d.drift],
        health=health,
        flagged=[h for h in health.items if h.flags] if health else [],
        curve=curve,
        paper_items=paper_items,
    )
    return context

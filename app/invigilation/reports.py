"""The session's attendance register and incident report as CSV, for the centre's records."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from app.invigilation.service import IncidentView, Register

REGISTER_COLUMNS = (
    "session",
    "unit",
    "candidate_number",
    "first_name",
    "last_name",
    "status",
    "answered",
    "total",
    "started_at",
    "submitted_at",
    "submitted_by",
    "time_allowed_seconds",
    "lost_seconds",
    "void_reason",
)
INCIDENT_COLUMNS = (
    "session",
    "unit",
    "recorded_at",
    "category",
    "candidate_number",
    "note",
    "recorded_by",
)


def register_csv(register: Register) -> str:
    rows = []
    for line in register.lines:
        a, c = line.attempt, line.candidate
        rows.append(
            (
                register.sitting.id,
                register.unit.urn,
                c.candidate_number,
                c.first_name,
                c.last_name,
                a.status,
                line.answered,
                line.total,
                _time(a.started_at),
                _time(a.submitted_at),
                a.submitted_by or "",
                a.allowed_seconds,
                a.lost_seconds,
                a.void_reason or "",
            )
        )
    return to_csv(REGISTER_COLUMNS, rows)


def incidents_csv(register: Register, incidents: Iterable[IncidentView]) -> str:
    rows = [
        (
            register.sitting.id,
            register.unit.urn,
            _time(i.incident.created_at),
            i.incident.category,
            i.candidate_number or "",
            i.incident.note,
            i.recorded_by,
        )
        for i in incidents
    ]
    return to_csv(INCIDENT_COLUMNS, rows)


def _time(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([[safe(v) if isinstance(v, str) else v for v in row] for row in rows])
    return out.getvalue()


def safe(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ (or a tab or return) as formulas."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

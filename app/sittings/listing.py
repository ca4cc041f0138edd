"""Finding sittings: the awarding body's list of what it scheduled, by centre, unit, status and
date, with how far each one has got."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.centres import service as centres
from app.errors import Invalid
from app.qualifications import service as qualifications
from app.sittings import repository
from app.sittings.models import Sitting
from app.sittings.status import SittingStatus

STATUSES = tuple(SittingStatus)
MAX_LIST = 1000


@dataclass(frozen=True)
class SittingRow:
    sitting: Sitting
    centre: str
    unit: str
    unit_title: str
    counts: dict[str, int]  # attempts by status

    @property
    def candidates(self) -> int:
        return sum(self.counts.values())

    def count(self, *statuses: str) -> int:
        return sum(self.counts.get(s, 0) for s in statuses)


def find(
    db: Session,
    *,
    centre: str | None = None,
    centre_id: int | None = None,
    unit: str | None = None,
    status: str | None = None,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    limit: int = 500,
) -> list[SittingRow]:
    """Sittings matching every filter given, latest scheduled start first."""
    if status and status not in STATUSES:
        raise Invalid.field("status", f"status is one of {', '.join(STATUSES)}.")
    if not 1 <= limit <= MAX_LIST:
        raise Invalid.field("limit", f"limit must be between 1 and {MAX_LIST}.")
    if start_from and start_to and start_to <= start_from:
        raise Invalid.field("to", "to must be later than from.")
    if centre:
        centre_id = centres.get_centre(db, centre).id
    unit_id = qualifications.get_unit(db, unit).id if unit else None
    rows = repository.search_sittings(
        db,
        centre_id=centre_id,
        unit_id=unit_id,
        status=status or None,
        start_from=start_from,
        start_to=start_to,
        limit=limit,
    )
    return [SittingRow(s, c, u, t, n) for s, c, u, t, n in rows]

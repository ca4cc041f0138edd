"""Queries for the invigilator's own records. Each takes the centre it is for: a sitting at
another centre yields nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.candidates.models import Candidate
from app.centres.models import Invigilator
from app.invigilation.models import Incident
from app.sittings.models import Sitting


def incidents_at(
    db: Session, centre_id: int, sitting_id: int
) -> list[tuple[Incident, str | None, str]]:
    """(incident, candidate number, recorded by) for a sitting at this centre, in order."""
    rows = db.execute(
        select(Incident, Candidate.candidate_number, Invigilator.username)
        .join(Sitting, Sitting.id == Incident.sitting_id)
        .outerjoin(Candidate, Candidate.id == Incident.candidate_id)
        .join(Invigilator, Invigilator.id == Incident.invigilator_id)
        .where(Incident.sitting_id == sitting_id, Sitting.centre_id == centre_id)
        .order_by(Incident.created_at, Incident.id)
    )
    return [(i, number, username) for i, number, username in rows]

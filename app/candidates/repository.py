from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.candidates.models import Candidate, UnitResult


def by_number(db: Session, candidate_number: str) -> Candidate | None:
    return db.scalar(select(Candidate).where(Candidate.candidate_number == candidate_number))


def unit_results(db: Session, candidate_id: int) -> list[UnitResult]:
    return list(
        db.scalars(
            select(UnitResult)
            .where(UnitResult.candidate_id == candidate_id)
            .order_by(UnitResult.id)
        )
    )


def unit_result(db: Session, candidate_id: int, unit_id: int, method: str) -> UnitResult | None:
    return db.scalar(
        select(UnitResult).where(
            UnitResult.candidate_id == candidate_id,
            UnitResult.unit_id == unit_id,
            UnitResult.method == method,
        )
    )

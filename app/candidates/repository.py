from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.candidates.models import Candidate, UnitResult


def by_number(db: Session, candidate_number: str) -> Candidate | None:
    """The candidate with this number, in whatever case it is written (the index
    uq_candidates_number_folded)."""
    return db.scalar(
        select(Candidate).where(func.lower(Candidate.candidate_number) == candidate_number.lower())
    )


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


def search(
    db: Session, *, text: str | None, centre_id: int | None, limit: int
) -> tuple[list[Candidate], int]:
    """Candidates whose number or name contains the text, at one centre or all; and the total."""
    where = []
    if centre_id is not None:
        where.append(Candidate.centre_id == centre_id)
    if text:
        like = (
            "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        where.append(
            or_(
                func.lower(Candidate.candidate_number).like(like, escape="\\"),
                func.lower(Candidate.first_name + " " + Candidate.last_name).like(
                    like, escape="\\"
                ),
            )
        )
    total = db.scalar(select(func.count()).select_from(Candidate).where(*where)) or 0
    rows = db.scalars(
        select(Candidate).where(*where).order_by(Candidate.candidate_number).limit(limit)
    )
    return list(rows), int(total)


def at_centre(db: Session, centre_id: int) -> list[Candidate]:
    return list(
        db.scalars(
            select(Candidate)
            .where(Candidate.centre_id == centre_id)
            .order_by(Candidate.candidate_number)
        )
    )


def existing_numbers(db: Session, numbers: list[str]) -> set[str]:
    """Which of these candidate numbers are taken already, in lower case (numbers are compared
    without regard to case)."""
    found: set[str] = set()
    folded = sorted({n.lower() for n in numbers})
    for start in range(0, len(folded), 500):
        chunk = folded[start : start + 500]
        found.update(
            db.scalars(
                select(func.lower(Candidate.candidate_number)).where(
                    func.lower(Candidate.candidate_number).in_(chunk)
                )
            )
        )
    return found

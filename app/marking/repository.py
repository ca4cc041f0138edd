from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks.models import ItemVersion
from app.candidates.models import Candidate
from app.centres.models import Centre
from app.marking.models import Result
from app.qualifications.models import Criterion, LearningOutcome, Unit
from app.sittings.models import PaperItem


def lines(db: Session, attempt_id: int) -> list[tuple[int, str, str | None]]:
    """(outcome number, key, answer) for each position of the paper."""
    rows = db.execute(
        select(LearningOutcome.number, ItemVersion.key, PaperItem.answer)
        .join(ItemVersion, ItemVersion.id == PaperItem.item_version_id)
        .join(Criterion, Criterion.id == ItemVersion.criterion_id)
        .join(LearningOutcome, LearningOutcome.id == Criterion.outcome_id)
        .where(PaperItem.attempt_id == attempt_id)
        .order_by(PaperItem.position)
    )
    return [(n, k, a) for n, k, a in rows]


def page(
    db: Session, after: int, limit: int, centre: str | None, unit: str | None
) -> list[tuple[Result, str, str, str]]:
    query = (
        select(Result, Candidate.candidate_number, Centre.code, Unit.urn)
        .join(Candidate, Candidate.id == Result.candidate_id)
        .join(Centre, Centre.id == Result.centre_id)
        .join(Unit, Unit.id == Result.unit_id)
        .where(Result.seq > after)
        .order_by(Result.seq)
        .limit(limit)
    )
    if centre:
        query = query.where(Centre.code == centre)
    if unit:
        query = query.where(Unit.urn == unit)
    return [(r, n, c, u) for r, n, c, u in db.execute(query)]


def exam_passes(db: Session, candidate_id: int) -> list[Result]:
    return list(
        db.scalars(
            select(Result).where(
                Result.candidate_id == candidate_id,
                Result.outcome == "pass",
                Result.voided.is_(False),
            )
        )
    )


def for_attempt(db: Session, attempt_id: int) -> Result | None:
    return db.scalar(select(Result).where(Result.attempt_id == attempt_id))

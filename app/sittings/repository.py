"""Queries for sittings and attempts. Candidate queries take the attempt id from the signed
cookie; invigilator queries take the centre from the staff session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.candidates.models import Candidate
from app.sittings.models import Attempt, PaperItem, Sitting


def lock_attempt(db: Session, attempt_id: int) -> Attempt | None:
    """The attempt, row-locked until commit (PostgreSQL; SQLite write transactions are serial)."""
    return db.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())


def attempt(db: Session, attempt_id: int) -> Attempt | None:
    return db.get(Attempt, attempt_id)


def paper(db: Session, attempt_id: int) -> list[PaperItem]:
    return list(
        db.scalars(
            select(PaperItem).where(PaperItem.attempt_id == attempt_id).order_by(PaperItem.position)
        )
    )


def paper_item(db: Session, attempt_id: int, position: int) -> PaperItem | None:
    return db.scalar(
        select(PaperItem).where(PaperItem.attempt_id == attempt_id, PaperItem.position == position)
    )


def save_answer(db: Session, item_id: int, option_id: str | None, seq: int, now: datetime) -> bool:
    """Store the answer only if seq is newer than the stored one; True when it was applied."""
    result = db.execute(
        update(PaperItem)
        .where(PaperItem.id == item_id, PaperItem.answer_seq < seq)
        .values(answer=option_id, answer_seq=seq, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def for_login(
    db: Session, candidate_number: str, access_code: str
) -> list[tuple[Attempt, Sitting]]:
    rows = db.execute(
        select(Attempt, Sitting)
        .join(Sitting, Sitting.id == Attempt.sitting_id)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(
            func.lower(Candidate.candidate_number) == candidate_number.lower(),
            Sitting.access_code == access_code,
        )
        .order_by(Sitting.id.desc())
    )
    return [(a, s) for a, s in rows]


def code_in_use(db: Session, code: str) -> bool:
    return (
        db.scalar(
            select(func.count()).where(Sitting.access_code == code, Sitting.status != "closed")
        )
        != 0
    )


def sitting_at_centre(db: Session, sitting_id: int, centre_id: int) -> Sitting | None:
    return db.scalar(
        select(Sitting).where(Sitting.id == sitting_id, Sitting.centre_id == centre_id)
    )


def sittings_at_centre(db: Session, centre_id: int) -> list[Sitting]:
    return list(
        db.scalars(
            select(Sitting).where(Sitting.centre_id == centre_id).order_by(Sitting.scheduled_start)
        )
    )


def attempts_of(db: Session, sitting_id: int) -> list[tuple[Attempt, Candidate]]:
    rows = db.execute(
        select(Attempt, Candidate)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Attempt.sitting_id == sitting_id)
        .order_by(Candidate.candidate_number)
    )
    return [(a, c) for a, c in rows]


def answered_counts(db: Session, sitting_id: int) -> dict[int, tuple[int, int]]:
    rows = db.execute(
        select(PaperItem.attempt_id, func.count(PaperItem.answer), func.count())
        .join(Attempt, Attempt.id == PaperItem.attempt_id)
        .where(Attempt.sitting_id == sitting_id)
        .group_by(PaperItem.attempt_id)
    )
    return {attempt_id: (answered, total) for attempt_id, answered, total in rows}


def expired_ids(db: Session, before: datetime, sitting_id: int | None = None) -> list[int]:
    query = select(Attempt.id).where(Attempt.status == "in_progress", Attempt.deadline_at < before)
    if sitting_id is not None:
        query = query.where(Attempt.sitting_id == sitting_id)
    return list(db.scalars(query.order_by(Attempt.deadline_at)))

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.banks.models import ItemVersion
from app.candidates.models import Candidate
from app.centres.models import Centre
from app.journal.models import JournalEntry
from app.marking.models import Result, ResultCorrection
from app.qualifications.models import Criterion, LearningOutcome, Unit
from app.sittings.models import PaperItem
from app.stats.models import ItemExclusion


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


def marking_lines(db: Session, attempt_id: int) -> list[tuple[int, int, str, str | None]]:
    """(position, outcome number, key, answer) for each position of the paper."""
    rows = db.execute(
        select(PaperItem.position, LearningOutcome.number, ItemVersion.key, PaperItem.answer)
        .join(ItemVersion, ItemVersion.id == PaperItem.item_version_id)
        .join(Criterion, Criterion.id == ItemVersion.criterion_id)
        .join(LearningOutcome, LearningOutcome.id == Criterion.outcome_id)
        .where(PaperItem.attempt_id == attempt_id)
        .order_by(PaperItem.position)
    )
    return [(p, n, k, a) for p, n, k, a in rows]


def pretest_positions(db: Session, attempt_id: int) -> list[int]:
    """The positions of the paper that hold unscored pretest items (fixed when it was built)."""
    rows = db.scalars(
        select(PaperItem.position)
        .where(PaperItem.attempt_id == attempt_id, PaperItem.pretest.is_(True))
        .order_by(PaperItem.position)
    )
    return list(rows)


def lock_paper_versions(db: Session, attempt_id: int) -> None:
    """Hold the paper's item versions against an exclusion until this transaction ends (FOR
    KEY SHARE: submissions never wait on each other, only on an exclusion's FOR UPDATE)."""
    paper = select(PaperItem.item_version_id).where(PaperItem.attempt_id == attempt_id)
    db.execute(
        select(ItemVersion.id)
        .where(ItemVersion.id.in_(paper))
        .with_for_update(read=True, key_share=True)
    ).all()


def built_paper(db: Session, attempt_id: int) -> dict[str, Any] | None:
    """What the attempt's `paper_built` journal entry recorded (its pass mark's cut and the
    difficulties it used), or None."""
    data = db.scalar(
        select(JournalEntry.data).where(
            JournalEntry.chain == f"attempt:{attempt_id}", JournalEntry.event == "paper_built"
        )
    )
    return dict(data) if data else None


def positions_of(db: Session, attempt_id: int, version_id: int) -> list[int]:
    """The positions of the paper that hold this item version."""
    rows = db.scalars(
        select(PaperItem.position).where(
            PaperItem.attempt_id == attempt_id, PaperItem.item_version_id == version_id
        )
    )
    return list(rows)


def excluded_positions(db: Session, attempt_id: int) -> list[int]:
    """The positions of the paper whose item version is excluded from marking. (Its own
    statement, after the lock above: under READ COMMITTED it sees an exclusion committed while
    the lock waited.)"""
    rows = db.scalars(
        select(PaperItem.position)
        .join(ItemExclusion, ItemExclusion.item_version_id == PaperItem.item_version_id)
        .where(PaperItem.attempt_id == attempt_id)
        .order_by(PaperItem.position)
    )
    return list(rows)


Row = TypeVarTuple("Row")


def _with_names(query: Select[*Row], centre: str | None, unit: str | None) -> Select[*Row]:
    """Join a query over results to the names a puller sees, and filter by them."""
    query = (
        query.join(Candidate, Candidate.id == Result.candidate_id)
        .join(Centre, Centre.id == Result.centre_id)
        .join(Unit, Unit.id == Result.unit_id)
    )
    if centre:
        query = query.where(Centre.code == centre)
    if unit:
        query = query.where(Unit.urn == unit)
    return query


def page(
    db: Session, after: int, limit: int, centre: str | None, unit: str | None
) -> list[tuple[Result, str, str, str]]:
    query = select(Result, Candidate.candidate_number, Centre.code, Unit.urn)
    query = _with_names(query, centre, unit).where(Result.seq > after)
    rows = db.execute(query.order_by(Result.seq).limit(limit))
    return [(r, n, c, u) for r, n, c, u in rows]


def corrections(
    db: Session, after: int, limit: int, centre: str | None, unit: str | None
) -> list[tuple[ResultCorrection, Result, str, str, str]]:
    query = select(ResultCorrection, Result, Candidate.candidate_number, Centre.code, Unit.urn)
    query = query.join(Result, Result.id == ResultCorrection.result_id)
    query = _with_names(query, centre, unit).where(ResultCorrection.seq > after)
    rows = db.execute(query.order_by(ResultCorrection.seq).limit(limit))
    return [(k, r, n, c, u) for k, r, n, c, u in rows]


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


def of_candidate(db: Session, candidate_id: int) -> list[tuple[Result, str]]:
    """Every result of the candidate (voided ones too), latest first, with the unit's URN."""
    rows = db.execute(
        select(Result, Unit.urn)
        .join(Unit, Unit.id == Result.unit_id)
        .where(Result.candidate_id == candidate_id)
        .order_by(Result.submitted_at.desc(), Result.id.desc())
    )
    return [(r, urn) for r, urn in rows]


def for_attempt(db: Session, attempt_id: int, *, lock: bool = False) -> Result | None:
    query = select(Result).where(Result.attempt_id == attempt_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalar(query)


def lock_results_holding(db: Session, version_id: int) -> list[Result]:
    """Results whose paper held the version, locked in id order (one statement: two callers
    never hold part each of the other's rows)."""
    return list(db.scalars(_holding(version_id).with_for_update()))


def results_holding(db: Session, version_id: int) -> list[tuple[Result, str]]:
    """Results whose paper held the version, with the candidate's number, unlocked (a look)."""
    query = _holding(version_id).add_columns(Candidate.candidate_number)
    return [
        (r, n) for r, n in db.execute(query.join(Candidate, Candidate.id == Result.candidate_id))
    ]


def _holding(version_id: int) -> Select[Result]:
    holding = select(PaperItem.attempt_id).where(PaperItem.item_version_id == version_id)
    return (
        select(Result)
        .where(Result.attempt_id.in_(holding))
        .order_by(Result.id)
        .execution_options(populate_existing=True)
    )


def search(
    db: Session,
    *,
    centre: str | None,
    unit: str | None,
    submitted_from: datetime | None,
    submitted_to: datetime | None,
    outcome: str | None,
    limit: int | None,
    offset: int = 0,
) -> tuple[list[tuple[Result, str, str, str, str]], int]:
    """Results matching the filters in recording order, with the candidate's number and name,
    the centre's code and the unit's URN (from the offset-th, at most limit of them); and how
    many match in all."""
    query = select(
        Result,
        Candidate.candidate_number,
        Candidate.first_name + " " + Candidate.last_name,
        Centre.code,
        Unit.urn,
    )
    query = _with_names(query, centre, unit)
    if submitted_from is not None:
        query = query.where(Result.submitted_at >= submitted_from)
    if submitted_to is not None:
        query = query.where(Result.submitted_at < submitted_to)
    if outcome == "void":
        query = query.where(Result.voided.is_(True))
    elif outcome:
        query = query.where(Result.outcome == outcome, Result.voided.is_(False))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(Result.seq).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [(r, n, name, c, u) for r, n, name, c, u in db.execute(query)], int(total)


def names(db: Session, result: Result) -> tuple[str, str, str]:
    """(candidate number, centre code, unit URN) of a result."""
    row = db.execute(
        select(Candidate.candidate_number, Centre.code, Unit.urn)
        .select_from(Result)
        .join(Candidate, Candidate.id == Result.candidate_id)
        .join(Centre, Centre.id == Result.centre_id)
        .join(Unit, Unit.id == Result.unit_id)
        .where(Result.id == result.id)
    ).one()
    return str(row[0]), str(row[1]), str(row[2])


def signed_results(db: Session) -> list[Result]:
    """Every signed result in recording order, row-locked (a re-marking or a voiding waits)."""
    query = (
        select(Result)
        .where(Result.signature.is_not(None))
        .order_by(Result.seq)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(db.scalars(query))


def unsigned_results(db: Session) -> list[Result]:
    return list(db.scalars(select(Result).where(Result.signature.is_(None)).order_by(Result.seq)))


def unsigned_corrections(db: Session) -> list[tuple[ResultCorrection, Result]]:
    rows = db.execute(
        select(ResultCorrection, Result)
        .join(Result, Result.id == ResultCorrection.result_id)
        .where(ResultCorrection.signature.is_(None))
        .order_by(ResultCorrection.seq)
    )
    return [(k, r) for k, r in rows]

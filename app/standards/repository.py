"""Queries of standard setting: exercises and their parts, a unit's cuts, the results so far."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.marking.models import Result
from app.qualifications.models import Criterion, LearningOutcome, Unit
from app.sittings.models import PaperItem
from app.standards.models import (
    StandardExercise,
    StandardItem,
    StandardJudge,
    StandardJudgement,
    UnitCut,
)
from app.stats.models import ItemExclusion


def exercise(db: Session, exercise_id: int, *, lock: bool = False) -> StandardExercise | None:
    query = select(StandardExercise).where(StandardExercise.id == exercise_id)
    return db.scalar(query.with_for_update() if lock else query)


def exercises_of(db: Session, unit_id: int) -> list[StandardExercise]:
    query = select(StandardExercise).where(StandardExercise.unit_id == unit_id)
    return list(db.scalars(query.order_by(StandardExercise.id)))


def live_versions(db: Session, unit_id: int) -> list[tuple[int, int, str]]:
    """(item version id, learning outcome, criterion ref) of each live item's current version,
    but a version excluded from marking (no paper places it again)."""
    rows = db.execute(
        select(ItemVersion.id, LearningOutcome.number, Criterion.ref)
        .join(Item, Item.id == ItemVersion.item_id)
        .join(Criterion, Criterion.id == ItemVersion.criterion_id)
        .join(LearningOutcome, LearningOutcome.id == Criterion.outcome_id)
        .where(
            Item.unit_id == unit_id,
            Item.status == "live",
            ItemVersion.version == Item.current_version,
            ItemVersion.id.not_in(select(ItemExclusion.item_version_id)),
        )
        .order_by(Criterion.ref, Item.external_id)
    )
    return [(v, n, r) for v, n, r in rows]


def versions_in_unit(db: Session, unit_id: int, version_ids: list[int]) -> set[int]:
    rows = db.scalars(
        select(ItemVersion.id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(Item.unit_id == unit_id, ItemVersion.id.in_(version_ids))
    )
    return set(rows)


def excluded_among(db: Session, version_ids: list[int]) -> list[tuple[int, str, int]]:
    """(version id, item external id, version) of those excluded from marking."""
    rows = db.execute(
        select(ItemVersion.id, Item.external_id, ItemVersion.version)
        .join(Item, Item.id == ItemVersion.item_id)
        .join(ItemExclusion, ItemExclusion.item_version_id == ItemVersion.id)
        .where(ItemVersion.id.in_(version_ids))
        .order_by(Item.external_id)
    )
    return [(v, e, n) for v, e, n in rows]


def reference_items(
    db: Session, exercise_id: int
) -> list[tuple[StandardItem, ItemVersion, str, str]]:
    """The reference set in order, with each version, its item's external id and criterion."""
    rows = db.execute(
        select(StandardItem, ItemVersion, Item.external_id, Criterion.ref)
        .join(ItemVersion, ItemVersion.id == StandardItem.item_version_id)
        .join(Item, Item.id == ItemVersion.item_id)
        .join(Criterion, Criterion.id == ItemVersion.criterion_id)
        .where(StandardItem.exercise_id == exercise_id)
        .order_by(StandardItem.position)
    )
    return [(s, v, e, r) for s, v, e, r in rows]


def judge(db: Session, exercise_id: int, judge_id: int) -> StandardJudge | None:
    return db.scalar(
        select(StandardJudge).where(
            StandardJudge.id == judge_id, StandardJudge.exercise_id == exercise_id
        )
    )


def judge_named(db: Session, exercise_id: int, name: str) -> StandardJudge | None:
    return db.scalar(
        select(StandardJudge).where(
            StandardJudge.exercise_id == exercise_id, StandardJudge.name == name
        )
    )


def judgement(db: Session, judge_id: int, round_: int) -> StandardJudgement | None:
    return db.scalar(
        select(StandardJudgement).where(
            StandardJudgement.judge_id == judge_id, StandardJudgement.round == round_
        )
    )


def judgements(db: Session, exercise_id: int, round_: int) -> list[tuple[StandardJudgement, str]]:
    """A round's judgements with each judge's name, in the order the judges were added."""
    rows = db.execute(
        select(StandardJudgement, StandardJudge.name)
        .join(StandardJudge, StandardJudge.id == StandardJudgement.judge_id)
        .where(StandardJudgement.exercise_id == exercise_id, StandardJudgement.round == round_)
        .order_by(StandardJudge.id)
    )
    return [(j, name) for j, name in rows]


def current_cut(db: Session, unit_id: int) -> UnitCut | None:
    return db.scalar(
        select(UnitCut)
        .where(UnitCut.unit_id == unit_id, UnitCut.superseded.is_(False))
        .order_by(UnitCut.id.desc())
        .limit(1)
    )


def cuts_of(db: Session, unit_id: int) -> list[UnitCut]:
    return list(db.scalars(select(UnitCut).where(UnitCut.unit_id == unit_id).order_by(UnitCut.id)))


def cut_of_exercise(db: Session, exercise_id: int) -> UnitCut | None:
    return db.scalar(select(UnitCut).where(UnitCut.exercise_id == exercise_id))


def supersede(db: Session, unit_id: int, now: datetime) -> None:
    db.execute(
        update(UnitCut)
        .where(UnitCut.unit_id == unit_id, UnitCut.superseded.is_(False))
        .values(superseded=True, superseded_at=now)
    )


def results_so_far(db: Session, unit_id: int) -> list[tuple[int, int, list[int]]]:
    """(score, max score, the scored item version ids of the paper (no pretest item, no
    version excluded from marking: the score was marked without it), in no particular order)
    of every result of the unit that counts (not voided). Two plain reads put together here: no
    sort of every paper line, no ORM rows (10,000 papers are 150,000 lines or more)."""
    counted = (Result.unit_id == unit_id, Result.voided.is_(False))
    connection = db.connection()
    scores = connection.execute(
        select(Result.attempt_id, Result.score, Result.max_score).where(*counted)
    ).all()
    lines = connection.execute(
        select(PaperItem.attempt_id, PaperItem.item_version_id)
        .join(Result, Result.attempt_id == PaperItem.attempt_id)
        .where(
            *counted,
            PaperItem.pretest.is_(False),  # a pass mark reads scored items only
            PaperItem.item_version_id.not_in(select(ItemExclusion.item_version_id)),
        )
    ).all()
    papers: dict[int, list[int]] = {attempt_id: [] for attempt_id, _, _ in scores}
    for attempt_id, version_id in lines:
        papers[attempt_id].append(version_id)
    return [(score, max_score, papers[attempt_id]) for attempt_id, score, max_score in scores]


def unit_urn(db: Session, unit_id: int) -> str:
    return str(db.scalar(select(Unit.urn).where(Unit.id == unit_id)))


def all_exercises(db: Session) -> list[tuple[StandardExercise, str]]:
    """Every exercise with its unit's URN, newest first."""
    rows = db.execute(
        select(StandardExercise, Unit.urn)
        .join(Unit, Unit.id == StandardExercise.unit_id)
        .order_by(StandardExercise.id.desc())
    )
    return [(e, u) for e, u in rows]

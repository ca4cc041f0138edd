from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.banks.models import Item, ItemVersion
from app.qualifications.models import (
    Criterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)


def qualification_by_code(db: Session, code: str) -> Qualification | None:
    return db.scalar(
        select(Qualification)
        .where(Qualification.code == code)
        .options(selectinload(Qualification.memberships).selectinload(QualificationUnit.unit))
    )


def all_qualifications(db: Session) -> list[Qualification]:
    return list(
        db.scalars(
            select(Qualification)
            .order_by(Qualification.code)
            .options(selectinload(Qualification.memberships).selectinload(QualificationUnit.unit))
        )
    )


def unit_by_urn(db: Session, urn: str) -> Unit | None:
    return db.scalar(
        select(Unit)
        .where(Unit.urn == urn)
        .options(
            selectinload(Unit.outcomes).selectinload(LearningOutcome.criteria),
            selectinload(Unit.test_spec),
        )
    )


def live_items_per_criterion(db: Session, unit_id: int) -> dict[int, int]:
    rows = db.execute(
        select(ItemVersion.criterion_id, func.count())
        .join(
            Item, (Item.id == ItemVersion.item_id) & (Item.current_version == ItemVersion.version)
        )
        .where(Item.unit_id == unit_id, Item.status == "live")
        .group_by(ItemVersion.criterion_id)
    )
    return {criterion_id: count for criterion_id, count in rows}


def current_items(db: Session, unit_id: int) -> list[tuple[Item, ItemVersion]]:
    rows = db.execute(
        select(Item, ItemVersion)
        .join(
            ItemVersion,
            (Item.id == ItemVersion.item_id) & (Item.current_version == ItemVersion.version),
        )
        .where(Item.unit_id == unit_id)
        .order_by(Item.external_id)
    )
    return [(item, version) for item, version in rows]


def criteria_of(db: Session, unit_id: int) -> list[Criterion]:
    return list(db.scalars(select(Criterion).where(Criterion.unit_id == unit_id)))


def criterion_refs(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.execute(select(Criterion.id, Criterion.ref).where(Criterion.id.in_(ids))).all())

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.banks.models import Item


def items_with_versions(db: Session, unit_id: int) -> list[Item]:
    """Every item of the unit, whatever its status, with all its versions."""
    return list(
        db.scalars(
            select(Item)
            .where(Item.unit_id == unit_id)
            .options(selectinload(Item.versions))
            .order_by(Item.external_id)
        )
    )


def item_counts(db: Session) -> dict[tuple[int, str], int]:
    """How many items each unit has in each status, keyed by (unit id, status)."""
    rows = db.execute(
        select(Item.unit_id, Item.status, func.count()).group_by(Item.unit_id, Item.status)
    )
    return {(unit_id, status): int(n) for unit_id, status, n in rows}

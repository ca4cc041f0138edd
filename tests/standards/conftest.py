"""Standard setting's tests: the room of tests/sittings, and calibrations written directly."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.calibration.models import CalibrationRun, ItemDifficulty
from app.qualifications.models import Unit
from tests.console.conftest import SignIn, console
from tests.sittings.conftest import Room, room

URN = "F/503/0358"
PATH_URN = "F-503-0358"


def unit_id(db: Session, urn: str = URN) -> int:
    return int(db.scalars(select(Unit.id).where(Unit.urn == urn)).one())


def live_versions(db: Session, urn: str = URN) -> list[int]:
    rows = db.scalars(
        select(ItemVersion.id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(
            Item.unit_id == unit_id(db, urn),
            Item.status == "live",
            ItemVersion.version == Item.current_version,
        )
        .order_by(ItemVersion.id)
    )
    return list(rows)


def calibrate(db: Session, unit: int, difficulties: Mapping[int, float], at: datetime) -> None:
    """A calibration run as app/calibration would leave it: these difficulties, se 0.2, n 100."""
    run = CalibrationRun(
        unit_id=unit,
        created_at=at,
        window_to=at,
        method="test",
        n_candidates=100,
        n_items=len(difficulties),
    )
    db.add(run)
    db.flush()
    db.add_all(
        ItemDifficulty(run_id=run.id, item_version_id=v, b=b, se=0.2, n=100)
        for v, b in difficulties.items()
    )
    db.flush()


# The fixtures shared: the room of tests/sittings, and console sign-ins of tests/console.
__all__ = ["Room", "SignIn", "console", "room"]


def exclude(room: Room, db: Session, version_id: int) -> Any:
    """An administrator excludes this item version through the API ("Key disputed")."""
    chosen = db.get(ItemVersion, version_id)
    assert chosen is not None
    external = db.get(Item, chosen.item_id)
    assert external is not None
    return room.client.post(
        f"/api/v1/items/{external.external_id}/versions/{chosen.version}/exclude",
        json={"reason": "Key disputed"},
        headers=room.admin(),
    )

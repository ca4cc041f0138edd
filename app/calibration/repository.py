"""Queries for calibration: the runs and difficulties, and the responses they are made from.

Calibration reads every centre's results for a unit by design (an item's difficulty is the
awarding body's, not a centre's); nothing here is served to a centre."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.calibration.models import CalibrationRun, ItemDifficulty
from app.marking.models import Result
from app.sittings.models import PaperItem


def latest_run(db: Session, unit_id: int) -> CalibrationRun | None:
    return db.scalars(
        select(CalibrationRun)
        .where(CalibrationRun.unit_id == unit_id)
        .order_by(CalibrationRun.id.desc())
        .limit(1)
    ).first()


def run_difficulties(db: Session, run_id: int) -> list[ItemDifficulty]:
    return list(
        db.scalars(
            select(ItemDifficulty)
            .where(ItemDifficulty.run_id == run_id)
            .order_by(ItemDifficulty.item_version_id)
        )
    )


def add_run(db: Session, run: CalibrationRun) -> CalibrationRun:
    db.add(run)
    db.flush()
    return run


def runs(db: Session, unit_id: int, limit: int = 20) -> list[CalibrationRun]:
    return list(
        db.scalars(
            select(CalibrationRun)
            .where(CalibrationRun.unit_id == unit_id)
            .order_by(CalibrationRun.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class ResponseRow:
    result_id: int
    pass_mark_percent: int
    item_version_id: int
    right: bool


def responses(
    db: Session, unit_id: int, start: datetime | None, end: datetime, batch: int = 20_000
) -> Iterator[ResponseRow]:
    """Every scored response of the unit's results recorded in [start, end), voided results
    left out, in result order; streamed `batch` rows at a time (bounded memory)."""
    query = (
        select(
            Result.id,
            Result.pass_mark_percent,
            PaperItem.item_version_id,
            PaperItem.answer,
            ItemVersion.key,
        )
        .join(PaperItem, PaperItem.attempt_id == Result.attempt_id)
        .join(ItemVersion, ItemVersion.id == PaperItem.item_version_id)
        .where(Result.unit_id == unit_id, Result.voided.is_(False), Result.recorded_at < end)
        .order_by(Result.id, PaperItem.position)
        .execution_options(yield_per=batch)
    )
    if start is not None:
        query = query.where(Result.recorded_at >= start)
    for rid, pass_mark, version, answer, key in db.execute(query):
        yield ResponseRow(rid, pass_mark, version, answer is not None and answer == key)


def item_labels(db: Session, version_ids: Iterable[int]) -> dict[int, tuple[str, int]]:
    """item_version_id -> (the item's external id, version number)."""
    ids = list(set(version_ids))
    if not ids:
        return {}
    rows = db.execute(
        select(ItemVersion.id, Item.external_id, ItemVersion.version)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_(ids))
    )
    return {vid: (ext, version) for vid, ext, version in rows}

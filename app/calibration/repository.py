"""Queries for calibration: the runs and difficulties, and the responses they are made from.

Calibration reads every centre's results for a unit by design (an item's difficulty is the
awarding body's, not a centre's); nothing here is served to a centre."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import chain

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import case, select
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


def responses(
    db: Session, unit_id: int, start: datetime | None, end: datetime, batch: int = 50_000
) -> NDArray[np.int64]:
    """Every response of the unit's results recorded in [start, end), voided results left
    out, in result order, as rows (result id, pass mark %, item_version_id, right 0/1,
    pretest 0/1); read `batch` rows at a time straight into integers (no object per row).
    Pretest responses are calibrated with the rest: they are the point of pretesting."""
    right = case((PaperItem.answer == ItemVersion.key, 1), else_=0)
    pretest = case((PaperItem.pretest.is_(True), 1), else_=0)
    query = (
        select(Result.id, Result.pass_mark_percent, PaperItem.item_version_id, right, pretest)
        .join(PaperItem, PaperItem.attempt_id == Result.attempt_id)
        .join(ItemVersion, ItemVersion.id == PaperItem.item_version_id)
        .where(Result.unit_id == unit_id, Result.voided.is_(False), Result.recorded_at < end)
        .order_by(Result.id, PaperItem.position)
    )
    if start is not None:
        query = query.where(Result.recorded_at >= start)
    # Core, not the ORM session's execute: 400,000 rows through the ORM's loading layer took
    # 10 s; plain rows from the connection, each batch read as integers, take under one.
    result = db.connection().execute(query, execution_options={"stream_results": True})
    parts = []
    while batch_rows := result.fetchmany(batch):
        flat = chain.from_iterable(batch_rows)
        parts.append(np.fromiter(flat, dtype=np.int64, count=5 * len(batch_rows)).reshape(-1, 5))
    return np.concatenate(parts) if parts else np.zeros((0, 5), dtype=np.int64)


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


def item_statuses(db: Session, version_ids: Iterable[int]) -> dict[int, str]:
    """item_version_id -> its item's status now (draft | pretest | live | retired)."""
    ids = list(set(version_ids))
    if not ids:
        return {}
    rows = db.execute(
        select(ItemVersion.id, Item.status)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_(ids))
    )
    return {vid: status for vid, status in rows}

"""The queries of item statistics and exclusion: every one scoped to a unit, or to one item
version of the awarding body's bank (shared by every centre)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.banks.models import Item, ItemVersion
from app.marking.models import Result
from app.sittings.models import PaperItem
from app.stats.models import ItemExclusion

# Rows turned into Python objects at a time: beyond the driver's own buffer, memory grows with
# the numpy arrays the rows become (a few dozen bytes a row), not with Python objects.
CHUNK = 20_000


class epoch(FunctionElement[float]):
    """Seconds since 1970 of a UTC time column, as a float computed by the database: turning
    hundreds of thousands of datetimes into Python objects would cost more than the analysis."""

    type = Float()
    inherit_cache = True


@compiles(epoch, "postgresql")
def _epoch_postgresql(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT8)"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; julianday counts days from 4714 BC
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def response_rows(
    db: Session,
    *,
    unit_id: int,
    centre_id: int | None,
    submitted_from: datetime | None,
    submitted_to: datetime | None,
) -> Iterator[Sequence[Any]]:
    """(result id, item version id, answer, seconds from the start to the answer, pretest) for
    every position of every submitted, not voided result of the unit in the window, grouped by
    result: streamed in chunks of the driver's tuples."""
    query = (
        select(
            Result.id,
            PaperItem.item_version_id,
            PaperItem.answer,
            epoch(PaperItem.answered_at) - epoch(Result.started_at),
            PaperItem.pretest,
        )
        .join(PaperItem, PaperItem.attempt_id == Result.attempt_id)
        .where(Result.unit_id == unit_id, Result.voided.is_(False))
    )
    if centre_id is not None:
        query = query.where(Result.centre_id == centre_id)
    if submitted_from is not None:
        query = query.where(Result.submitted_at >= submitted_from)
    if submitted_to is not None:
        query = query.where(Result.submitted_at < submitted_to)
    query = query.order_by(Result.id, PaperItem.position)
    result = db.connection().execute(query)
    # SQLAlchemy compiled and bound the query; the rows need no conversion (integers, text and
    # floats), so they are read from the driver's cursor as its own tuples, a chunk at a time:
    # a Row object apiece would cost more than the whole analysis. (Not a streaming cursor:
    # SQLAlchemy buffers the first rows of one itself, and they would be missed here. The
    # driver holds the result in its compact C form; Python objects exist a chunk at a time.)
    try:
        while chunk := result.cursor.fetchmany(CHUNK):
            yield chunk
    finally:
        result.close()


def versions(
    db: Session, unit_id: int
) -> list[tuple[int, str, int, list[dict[str, Any]], str, bool]]:
    """(id, item id, version, options, key, excluded) of every version of the unit's items."""
    rows = db.execute(
        select(
            ItemVersion.id,
            Item.external_id,
            ItemVersion.version,
            ItemVersion.options,
            ItemVersion.key,
            ItemExclusion.id.is_not(None),
        )
        .join(Item, Item.id == ItemVersion.item_id)
        .outerjoin(ItemExclusion, ItemExclusion.item_version_id == ItemVersion.id)
        .where(Item.unit_id == unit_id)
        .order_by(Item.external_id, ItemVersion.version)
    )
    return [(i, e, v, o, k, bool(x)) for i, e, v, o, k, x in rows]


def lock_version(db: Session, item_id: str, version: int) -> ItemVersion | None:
    """The item version, locked FOR UPDATE until the transaction ends: waits for every
    submission marking a paper that holds it (they hold it FOR KEY SHARE), and makes later
    ones wait for this transaction."""
    return db.scalar(
        select(ItemVersion)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(Item.external_id == item_id, ItemVersion.version == version)
        .with_for_update(of=ItemVersion)
    )


def version_id(db: Session, item_id: str, version: int) -> int | None:
    return db.scalar(
        select(ItemVersion.id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(Item.external_id == item_id, ItemVersion.version == version)
    )


def exclusion_of(db: Session, version_id: int) -> ItemExclusion | None:
    return db.scalar(select(ItemExclusion).where(ItemExclusion.item_version_id == version_id))


def exclusions(db: Session, unit_id: int) -> list[tuple[ItemExclusion, str, int]]:
    """The unit's excluded item versions with their item id and version, newest first."""
    rows = db.execute(
        select(ItemExclusion, Item.external_id, ItemVersion.version)
        .join(ItemVersion, ItemVersion.id == ItemExclusion.item_version_id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(Item.unit_id == unit_id)
        .order_by(ItemExclusion.excluded_at.desc(), ItemExclusion.id.desc())
    )
    return [(x, e, v) for x, e, v in rows]

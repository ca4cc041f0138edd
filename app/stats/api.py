"""Item statistics and exclusion, for the awarding body (admin token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth.deps import AdminToken
from app.deps import ClockDep, DbDep
from app.paths import unit_urn
from app.stats import exclusion, service
from app.stats.schemas import ExcludeIn, ExclusionOut, UnitStats

router = APIRouter(prefix="/api/v1", tags=["awarding body"])

ItemId = Annotated[str, Path(min_length=1, max_length=64, description="the item's id")]
Version = Annotated[int, Path(ge=1, le=2**31 - 1, description="the item's version")]


@router.get("/units/{unit}/item-statistics", response_model=UnitStats)
def item_statistics(
    unit: str,
    db: DbDep,
    _: AdminToken,
    start: str | None = Query(
        default=None, alias="from", max_length=40, description="submitted at or after"
    ),
    end: str | None = Query(default=None, alias="to", max_length=40, description="before"),
    centre: str | None = Query(default=None, max_length=20, description="a centre's code"),
) -> UnitStats:
    """Facility, discrimination and option choices of every item version sat, over the unit's
    submitted, not voided results in the window; figures beside them as the README's
    Statistics section defines."""
    within = service.window(start, end)
    return service.item_statistics(db, unit=unit_urn(unit), centre=centre or None, within=within)


@router.post("/items/{item_id}/versions/{version}/exclude", response_model=ExclusionOut)
def exclude_item_version(
    item_id: ItemId,
    version: Version,
    body: ExcludeIn,
    db: DbDep,
    clock: ClockDep,
    token: AdminToken,
) -> ExclusionOut:
    """Exclude an item version from marking: every result whose paper held it is marked again
    without it (each change in the corrections feed as `remarked`); repeating it changes
    nothing more."""
    row, changed = exclusion.exclude(
        db,
        item_id=item_id,
        version=version,
        reason=body.reason,
        actor=f"awarding-body:{token.name}",
        now=clock.now(),
    )
    return ExclusionOut(
        item_id=item_id,
        version=version,
        reason=row.reason,
        excluded_by=row.excluded_by,
        excluded_at=row.excluded_at,
        remarked=changed,
    )

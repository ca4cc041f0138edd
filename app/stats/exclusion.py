"""Excluding a faulty item version after the sitting, and marking again without it.

Concurrency (PostgreSQL, READ COMMITTED): the exclusion locks the item version FOR UPDATE
before anything else. Marking a submission holds its paper's versions FOR KEY SHARE, so a
submission either records first (the exclusion waits for it, then finds and re-marks its result)
or waits for the exclusion and leaves the version out itself. A second exclusion of the same
version waits on the lock, then finds the first one's row and changes nothing. The affected
results are locked in id order in one statement before any is changed, and voiding locks its
result's row too, so a re-marking never interleaves with another change to the same result.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.journal import service as journal
from app.marking import service as marking
from app.stats import repository
from app.stats.models import ItemExclusion


def exclude(
    db: Session, *, item_id: str, version: int, reason: str, actor: str, now: datetime
) -> tuple[ItemExclusion, int]:
    """Exclude the item version from marking and re-mark every result whose paper held it, each
    change journalled on the attempt's chain and published as a `remarked` correction. Returns
    the exclusion and how many results changed now (0 when it was already excluded)."""
    target = repository.lock_version(db, item_id, version)
    if target is None:
        raise NotFound(f"No item {item_id} with a version {version}.")
    existing = repository.exclusion_of(db, target.id)
    if existing is not None:
        return existing, 0
    exclusion = ItemExclusion(
        item_version_id=target.id, reason=reason, excluded_by=actor, excluded_at=now
    )
    db.add(exclusion)
    db.flush()
    changed = 0
    for result in marking.lock_results_holding(db, target.id):
        if not marking.remark(db, result, reason=reason, now=now):
            continue
        changed += 1
        journal.append(
            db,
            journal.attempt_chain(result.attempt_id),
            result.sitting_id,
            now,
            actor,
            "remarked",
            {
                "item_id": item_id,
                "version": version,
                "reason": reason,
                "excluded": marking.left_out(db, result.attempt_id),
                "score": result.score,
                "max_score": result.max_score,
                "outcome": result.outcome,
            },
        )
    return exclusion, changed


def exclusions(db: Session, unit_id: int) -> list[tuple[ItemExclusion, str, int]]:
    """The unit's exclusions (with item id and version), newest first."""
    return repository.exclusions(db, unit_id)


def version_id(db: Session, item_id: str, version: int) -> int | None:
    """The id of the item's version, if there is one (a look: nothing locked)."""
    return repository.version_id(db, item_id, version)

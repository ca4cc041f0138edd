"""Load validated bank files into the database: idempotent, versioned, all or nothing.

An item whose content changes gets a new version (versions are never edited, so a paper's
frozen version stays as it was). Items no longer in the files are retired, never deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.banks.reader import BankSet, UnitBank
from app.banks.schemas import ItemFile
from app.qualifications import service as qualifications
from app.qualifications.models import Unit


@dataclass
class UnitReport:
    urn: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return (
            f"{self.urn}: {len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.retired)} retired, {self.unchanged} unchanged"
        )


def content_hash(item: ItemFile) -> str:
    content = {
        "criterion": item.criterion,
        "stem": item.stem,
        "options": [o.model_dump() for o in item.options],
        "key": item.key,
        "rationale": item.rationale,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def load(
    db: Session, bank: BankSet, now: datetime, progress: Callable[[str], None] | None = None
) -> list[UnitReport]:
    """Bring the database in line with the files; the caller commits (or not) as one."""
    reports = []
    for qualification in bank.qualifications:
        units = qualifications.upsert_qualification(db, qualification.model, now)
        for unit_bank in qualification.units:
            unit = units[unit_bank.model.unit]
            qualifications.upsert_test_spec(db, unit, unit_bank.model.test_spec)
            reports.append(_load_items(db, unit, unit_bank, now))
            if progress:
                progress(unit.urn)
    db.flush()
    return reports


def _load_items(db: Session, unit: Unit, bank: UnitBank, now: datetime) -> UnitReport:
    report = UnitReport(unit.urn)
    criteria = qualifications.criteria_by_ref(db, unit)
    existing = {
        item.external_id: item for item in db.scalars(select(Item).where(Item.unit_id == unit.id))
    }
    for item_file in bank.model.items:
        item = existing.pop(item_file.id, None)
        digest = content_hash(item_file)
        if item is None:
            item = Item(
                external_id=item_file.id,
                unit_id=unit.id,
                status=item_file.status,
                enemies=list(item_file.enemies),
                current_version=1,
                updated_at=now,
            )
            db.add(item)
            db.flush()
            _add_version(db, item, 1, item_file, criteria[item_file.criterion], digest, now)
            report.added.append(item_file.id)
            continue
        current = _current(db, item)
        content_changed = current is None or current.content_hash != digest
        if content_changed:
            item.current_version += 1
            _add_version(
                db,
                item,
                item.current_version,
                item_file,
                criteria[item_file.criterion],
                digest,
                now,
            )
        if (
            content_changed
            or item.status != item_file.status
            or item.enemies != list(item_file.enemies)
        ):
            item.status, item.enemies, item.updated_at = (
                item_file.status,
                list(item_file.enemies),
                now,
            )
            report.changed.append(item_file.id)
        else:
            report.unchanged += 1
    for item in existing.values():
        if item.status != "retired":
            item.status, item.updated_at = "retired", now
            report.retired.append(item.external_id)
    return report


def _current(db: Session, item: Item) -> ItemVersion | None:
    return db.scalar(
        select(ItemVersion).where(
            ItemVersion.item_id == item.id, ItemVersion.version == item.current_version
        )
    )


def _add_version(
    db: Session,
    item: Item,
    version: int,
    f: ItemFile,
    criterion_id: int,
    digest: str,
    now: datetime,
) -> None:
    db.add(
        ItemVersion(
            item_id=item.id,
            version=version,
            criterion_id=criterion_id,
            stem=f.stem,
            options=[o.model_dump() for o in f.options],
            key=f.key,
            rationale=f.rationale,
            content_hash=digest,
            created_at=now,
        )
    )

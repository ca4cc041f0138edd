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
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks import media
from app.banks.models import Item, ItemMedia, ItemVersion
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


def content_hash(item: ItemFile, images: list[dict[str, str]] | None = None) -> str:
    content: dict[str, Any] = {
        "criterion": item.criterion,
        "stem": item.stem,
        "options": [o.model_dump() for o in item.options],
        "key": item.key,
        "rationale": item.rationale,
    }
    # rich content joins the hash only when present, so plain items keep their versions
    if item.stem_html is not None:
        content["stem_html"] = item.stem_html
    if images:
        content["images"] = images
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
        images = _store_images(db, bank.path.parent, item_file, now)
        digest = content_hash(item_file, images)
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
            _add_version(db, item, 1, item_file, criteria[_ref(item_file)], digest, now, images)
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
                criteria[_ref(item_file)],
                digest,
                now,
                images,
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
    images: list[dict[str, str]],
) -> None:
    db.add(
        ItemVersion(
            item_id=item.id,
            version=version,
            criterion_id=criterion_id,
            stem=f.stem,
            options=[o.model_dump() for o in f.options],
            key=f.key,
            rationale=f.rationale or "",
            stem_html=f.stem_html,
            images=images or None,
            content_hash=digest,
            created_at=now,
        )
    )


def _ref(item: ItemFile) -> str:
    if item.criterion is None:  # the validator refuses this before anything is loaded
        raise ValueError(f"{item.id} has no criterion")
    return item.criterion


def _store_images(db: Session, folder: Path, item: ItemFile, now: datetime) -> list[dict[str, str]]:
    """Each picture stored once by its digest; the item version keeps digest and alt text."""
    out = []
    for image in item.images:
        data = (folder / image.file).read_bytes()
        kind = media.content_type(data)
        if kind is None:  # the validator refuses this before anything is loaded
            raise ValueError(f"{image.file} is not a picture")
        digest = hashlib.sha256(data).hexdigest()
        if db.get(ItemMedia, digest) is None:
            db.add(ItemMedia(sha256=digest, content_type=kind, data=data, created_at=now))
        out.append({"sha256": digest, "alt": image.alt or ""})
    return out

"""The bank workflow the CLI drives: read, validate, load; and the published JSON Schemas."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.banks import load as loader
from app.banks import repository
from app.banks.models import Item, ItemMedia, ItemVersion
from app.banks.reader import BankSet, Problem, read_dir
from app.banks.schemas import QualificationFile, UnitBankFile
from app.banks.validate import validate
from app.errors import Invalid
from app.qualifications import service as qualifications
from app.qualifications.models import Unit

SCHEMAS: dict[str, type[BaseModel]] = {
    "qualification.schema.json": QualificationFile,
    "unit-bank.schema.json": UnitBankFile,
}


def check(root: Path) -> tuple[BankSet, list[Problem]]:
    """Read and validate every bank file under root."""
    bank = read_dir(root)
    return bank, validate(bank)


class BankProblems(Invalid):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems in the bank files; nothing was loaded")
        self.problems = problems


def load_dir(
    db: Session, root: Path, now: datetime, progress: Callable[[str], None] | None = None
) -> list[loader.UnitReport]:
    """Validate, then load everything; any problem (review findings aside) and nothing is loaded."""
    bank, problems = check(root)
    blocking = [p for p in problems if not p.review]
    if blocking:
        raise BankProblems(blocking)
    return loader.load(db, bank, now, progress)


def json_schemas() -> dict[str, str]:
    """The JSON Schema of each file kind, as published in question_banks/schema/."""
    out = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema()
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://examhall.invalid/schema/{name}",
            **schema,
        }
        out[name] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def pictures(db: Session, version: ItemVersion) -> list[tuple[str, str, bytes, str]]:
    """The pictures an item version shows: (sha256, content type, bytes, alt text)."""
    out = []
    for image in version.images or ():
        found = db.get(ItemMedia, image["sha256"])
        if found is not None:
            out.append((found.sha256, found.content_type, found.data, str(image["alt"])))
    return out


def unit_items(db: Session, urn: str) -> tuple[Unit, list[Item], dict[int, str]]:
    """A unit's items with every version (staff only: versions carry the keys), and the
    assessment criteria's refs by id."""
    unit = qualifications.get_unit(db, urn)
    items = repository.items_with_versions(db, unit.id)
    refs = {c.id: c.ref for o in unit.outcomes for c in o.criteria}
    return unit, items, refs


def item_counts(db: Session) -> dict[tuple[int, str], int]:
    return repository.item_counts(db)

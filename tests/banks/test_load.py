"""`banks load`: all or nothing, idempotent, versioned, retiring rather than deleting."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.banks.service import BankProblems, load_dir
from app.clock import MovableClock
from app.qualifications.models import Criterion, Qualification, Unit
from tests.banks import builder


def load(db: Session, root: Path, clock: MovableClock) -> dict[str, tuple[int, int, int, int]]:
    reports = load_dir(db, root, clock.now())
    return {r.urn: (len(r.added), len(r.changed), len(r.retired), r.unchanged) for r in reports}


def versions(db: Session, external_id: str) -> list[ItemVersion]:
    item = db.scalar(select(Item).where(Item.external_id == external_id))
    assert item is not None
    return list(
        db.scalars(
            select(ItemVersion).where(ItemVersion.item_id == item.id).order_by(ItemVersion.version)
        )
    )


def test_first_load_adds_everything(db: Session, tmp_path: Path, clock: MovableClock) -> None:
    builder.write(tmp_path)
    assert load(db, tmp_path, clock) == {
        builder.UNIT_A: (12, 0, 0, 0),
        builder.UNIT_B: (12, 0, 0, 0),
    }
    assert db.scalar(select(func.count()).select_from(Qualification)) == 1
    assert db.scalar(select(func.count()).select_from(Criterion)) == 6
    unit = db.scalar(select(Unit).where(Unit.urn == builder.UNIT_A))
    assert unit is not None and unit.test_spec is not None and unit.test_spec.items == 4


def test_loading_again_changes_nothing(db: Session, tmp_path: Path, clock: MovableClock) -> None:
    builder.write(tmp_path)
    load(db, tmp_path, clock)
    assert load(db, tmp_path, clock) == {
        builder.UNIT_A: (0, 0, 0, 12),
        builder.UNIT_B: (0, 0, 0, 12),
    }
    assert db.scalar(select(func.count()).select_from(ItemVersion)) == 24


def test_an_edit_makes_a_new_version_and_keeps_the_old(
    db: Session, tmp_path: Path, clock: MovableClock
) -> None:
    banks = builder.banks()
    builder.write(tmp_path, units=banks)
    load(db, tmp_path, clock)
    first = versions(db, "A1000001-000")[0]
    old_stem = first.stem
    banks[builder.UNIT_A]["items"][0]["stem"] = (
        "A clearer question about criterion 01.01: which is best?"
    )
    builder.write(tmp_path, units=banks)
    assert load(db, tmp_path, clock)[builder.UNIT_A] == (0, 1, 0, 11)
    v1, v2 = versions(db, "A1000001-000")
    assert (v1.version, v1.stem) == (1, old_stem)  # never edited
    assert (v2.version, v2.stem) == (2, "A clearer question about criterion 01.01: which is best?")
    item = db.scalar(select(Item).where(Item.external_id == "A1000001-000"))
    assert item is not None and item.current_version == 2


def test_a_status_change_is_not_a_new_version(
    db: Session, tmp_path: Path, clock: MovableClock
) -> None:
    banks = builder.banks()
    banks[builder.UNIT_A]["items"].append(
        builder.item("A1000001", 50, "01.01", __import__("random").Random(1))
    )
    builder.write(tmp_path, units=banks)
    load(db, tmp_path, clock)
    banks[builder.UNIT_A]["items"][-1]["status"] = "draft"
    builder.write(tmp_path, units=banks)
    assert load(db, tmp_path, clock)[builder.UNIT_A] == (0, 1, 0, 12)
    assert len(versions(db, "A1000001-050")) == 1


def test_removed_items_are_retired_not_deleted(
    db: Session, tmp_path: Path, clock: MovableClock
) -> None:
    banks = builder.banks()
    extra = builder.item("A1000001", 60, "02.01", __import__("random").Random(2))
    banks[builder.UNIT_A]["items"].append(extra)
    builder.write(tmp_path, units=banks)
    load(db, tmp_path, clock)
    banks[builder.UNIT_A]["items"].pop()
    builder.write(tmp_path, units=banks)
    assert load(db, tmp_path, clock)[builder.UNIT_A] == (0, 0, 1, 12)
    item = db.scalar(select(Item).where(Item.external_id == "A1000001-060"))
    assert item is not None and item.status == "retired"


def test_any_problem_and_nothing_is_loaded(
    db: Session, tmp_path: Path, clock: MovableClock
) -> None:
    banks = builder.banks()
    banks[builder.UNIT_B]["items"][0]["criterion"] = "07.07"
    builder.write(tmp_path, units=banks)
    with pytest.raises(BankProblems) as raised:
        load(db, tmp_path, clock)
    assert any("07.07" in str(p) for p in raised.value.problems)
    assert db.scalar(select(func.count()).select_from(Item)) == 0
    assert db.scalar(select(func.count()).select_from(Qualification)) == 0


def test_review_findings_do_not_stop_a_load(
    db: Session, tmp_path: Path, clock: MovableClock
) -> None:
    banks = builder.banks()
    banks[builder.UNIT_A]["items"][0]["options"][1]["text"] += "."  # mixed final punctuation
    builder.write(tmp_path, units=banks)
    assert load(db, tmp_path, clock)[builder.UNIT_A] == (12, 0, 0, 0)

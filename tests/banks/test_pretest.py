"""Pretest items in the bank files: the status and the test spec's `pretest_items`, as the
validator and the loader read them, and promotion by the bank file's status."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks import schemas
from app.banks.models import Item
from app.banks.service import load_dir
from app.clock import MovableClock
from app.qualifications.models import Unit
from tests.banks import builder
from tests.banks.test_load import versions
from tests.banks.test_validate import problems_for


def with_pretest(count: int = 2, per_paper: int = 1) -> dict[str, object]:
    bank = builder.unit_bank(builder.UNIT_A, per_criterion=6)
    bank["test_spec"]["pretest_items"] = per_paper
    for item in bank["items"][-count:]:
        item["status"] = "pretest"
    return bank


def test_pretest_items_and_pretest_items_per_paper_are_clean(tmp_path: Path) -> None:
    assert problems_for(tmp_path, with_pretest()) == []


def test_a_spec_without_pretest_items_asks_for_none() -> None:
    spec = builder.unit_bank(builder.UNIT_A)["test_spec"]
    assert schemas.TestSpecFile.model_validate(spec).pretest_items == 0


def test_more_pretest_than_scored_items_is_refused(tmp_path: Path) -> None:
    bank = with_pretest(per_paper=5)  # papers of 4 scored items
    found = problems_for(tmp_path, bank)
    assert any("pretest_items (5) above the scored items (4)" in p for p in found), found


def test_a_pretest_item_does_not_count_towards_a_criterions_live_items(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)  # 4 live items per criterion, 3 needed
    for item in [i for i in bank["items"] if i["criterion"] == "02.01"][:2]:
        item["status"] = "pretest"
    found = problems_for(tmp_path, bank)
    assert any("criterion 02.01 has 2 live items" in p for p in found), found


def test_a_pretest_item_is_held_to_the_item_rules(tmp_path: Path) -> None:
    bank = with_pretest()
    bank["items"][-1]["options"][1]["text"] = "None of the above"  # type: ignore[index]
    found = problems_for(tmp_path, bank)
    assert any("all/none of the above" in p for p in found), found


def test_load_keeps_the_status_and_promotion_keeps_the_version(
    db: Session, tmp_path: Path, clock: MovableClock
) -> None:
    bank = with_pretest(per_paper=1)
    builder.write(
        tmp_path, units={builder.UNIT_A: bank, builder.UNIT_B: builder.unit_bank(builder.UNIT_B)}
    )
    load_dir(db, tmp_path, clock.now())
    unit = db.scalars(select(Unit).where(Unit.urn == builder.UNIT_A)).one()
    assert unit.test_spec is not None and unit.test_spec.pretest_items == 1
    pretest_id = bank["items"][-1]["id"]  # type: ignore[index]
    item = db.scalars(select(Item).where(Item.external_id == pretest_id)).one()
    assert item.status == "pretest"
    first = [v.id for v in versions(db, pretest_id)]
    # promotion: the bank file's status edited, then loaded again
    bank["items"][-1]["status"] = "live"  # type: ignore[index]
    builder.write(
        tmp_path, units={builder.UNIT_A: bank, builder.UNIT_B: builder.unit_bank(builder.UNIT_B)}
    )
    clock.advance(minutes=1)
    reports = {r.urn: r for r in load_dir(db, tmp_path, clock.now())}
    assert reports[builder.UNIT_A].changed == [pretest_id]
    db.refresh(item)
    assert item.status == "live"
    # the same version: its calibration (by item version) still applies
    assert [v.id for v in versions(db, pretest_id)] == first

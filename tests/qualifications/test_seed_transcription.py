"""question_banks/ agrees with the published specification, unit by unit, criterion by criterion."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.banks.reader import read_dir
from app.banks.schemas import GroupFile, QualificationFile
from tests.qualifications.seed_spec import SeedSpec, read_seed

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seeds" / "qualification-spec-600-8065-6.txt"


@pytest.fixture(scope="module")
def seed() -> SeedSpec:
    if not SEED.exists():
        pytest.skip(f"the specification seed is not beside the project ({SEED})")
    return read_seed(SEED)


@pytest.fixture(scope="module")
def data() -> QualificationFile:
    bank = read_dir(ROOT / "question_banks")
    [q] = [q for q in bank.qualifications if q.model.code == "600/8065/6"]
    return q.model


def test_the_qualification(seed: SeedSpec, data: QualificationFile) -> None:
    assert (data.code, data.title, data.total_credits) == (
        seed.code,
        seed.title,
        seed.total_credits,
    )
    assert data.min_credits_at_or_above_level is not None
    assert data.min_credits_at_or_above_level.credits == seed.min_credits_at_level


def test_every_unit_its_facts_and_group(seed: SeedSpec, data: QualificationFile) -> None:
    assert [u.urn for u in data.units] == list(seed.units)
    for unit in data.units:
        s = seed.units[unit.urn]
        assert (unit.title, unit.level, unit.glh, unit.credits, unit.group) == (
            s.title,
            s.level,
            s.glh,
            s.credits,
            s.group,
        ), unit.urn


def test_every_outcome_and_criterion_word_for_word(seed: SeedSpec, data: QualificationFile) -> None:
    outcomes = criteria = 0
    for unit in data.units:
        s = seed.units[unit.urn]
        assert [(o.number, o.title) for o in unit.learning_outcomes] == [
            (o.number, o.title) for o in s.outcomes
        ]
        for mine, theirs in zip(unit.learning_outcomes, s.outcomes, strict=True):
            assert [(c.ref, c.text) for c in mine.criteria] == theirs.criteria, (
                f"{unit.urn} LO{mine.number}"
            )
            criteria += len(mine.criteria)
        outcomes += len(unit.learning_outcomes)
    assert (len(data.units), outcomes, criteria) == (14, 41, 184)


def test_the_rules_of_combination_table(seed: SeedSpec, data: QualificationFile) -> None:
    def walk(group: GroupFile) -> list[GroupFile]:
        return [group] + [g for child in group.groups or [] for g in walk(child)]

    groups = {g.code: g for g in walk(data.rules_of_combination)}
    for (
        code,
        _title,
        mandatory,
        _n,
        min_units,
        max_units,
        min_credits,
        max_credits,
    ) in seed.roc_rows:
        group = groups[code]
        # The table's "units" columns count sub-groups for a group of groups; 0 means no limit.
        low, high = (
            (group.min_groups, group.max_groups)
            if group.groups
            else (group.min_units, group.max_units)
        )
        assert group.mandatory == mandatory, code
        assert (low, high) == (min_units, max_units or None), code
        assert (group.min_credits or 0, group.max_credits) == (min_credits, max_credits or None), (
            code
        )


def test_the_barred_units(seed: SeedSpec, data: QualificationFile) -> None:
    assert sorted(tuple(p) for p in data.barred) == sorted(seed.barred)

"""Qualifications, units, outcomes and criteria: kept in step with the bank files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.banks.schemas import QualificationFile, TestSpecFile, UnitFile
from app.errors import NotFound
from app.qualifications import repository
from app.qualifications.models import (
    Criterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    TestSpec,
    Unit,
)
from app.qualifications.rules import Rules, UnitInfo, build


def upsert_qualification(db: Session, spec: QualificationFile, now: datetime) -> dict[str, Unit]:
    """Create or update a qualification and its units from its file; returns units by URN."""
    qualification = repository.qualification_by_code(db, spec.code)
    level_rule = spec.min_credits_at_or_above_level
    fields = {
        "title": spec.title,
        "awarding_organisation": spec.awarding_organisation,
        "level": spec.level,
        "total_credits": spec.total_credits,
        "min_credits_level": level_rule.level if level_rule else None,
        "min_credits_at_level": level_rule.credits if level_rule else None,
        "rules": spec.rules_of_combination.model_dump(),
        "barred": [list(pair) for pair in spec.barred],
    }
    if qualification is None:
        qualification = Qualification(code=spec.code, updated_at=now, **fields)
        db.add(qualification)
        db.flush()
    elif any(getattr(qualification, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(qualification, key, value)
        qualification.updated_at = now
    units = {u.urn: _upsert_unit(db, u) for u in spec.units}
    memberships = {m.unit.urn: m for m in qualification.memberships}
    for position, unit_file in enumerate(spec.units):
        membership = memberships.pop(unit_file.urn, None)
        if membership is None:
            db.add(
                QualificationUnit(
                    qualification_id=qualification.id,
                    unit_id=units[unit_file.urn].id,
                    group_code=unit_file.group,
                    position=position,
                )
            )
        else:
            membership.group_code, membership.position = unit_file.group, position
    for gone in memberships.values():
        db.delete(gone)
    db.flush()
    return units


def _upsert_unit(db: Session, spec: UnitFile) -> Unit:
    unit = repository.unit_by_urn(db, spec.urn)
    if unit is None:
        unit = Unit(
            urn=spec.urn, title=spec.title, level=spec.level, glh=spec.glh, credits=spec.credits
        )
        db.add(unit)
        db.flush()
    else:
        unit.title, unit.level, unit.glh, unit.credits = (
            spec.title,
            spec.level,
            spec.glh,
            spec.credits,
        )
    outcomes = {o.number: o for o in unit.outcomes}
    criteria = {c.ref: c for c in repository.criteria_of(db, unit.id)}
    for outcome_spec in spec.learning_outcomes:
        outcome = outcomes.get(outcome_spec.number)
        if outcome is None:
            outcome = LearningOutcome(
                unit_id=unit.id, number=outcome_spec.number, title=outcome_spec.title
            )
            db.add(outcome)
            db.flush()
        outcome.title = outcome_spec.title
        for criterion_spec in outcome_spec.criteria:
            criterion = criteria.get(criterion_spec.ref)
            if criterion is None:
                db.add(
                    Criterion(
                        unit_id=unit.id,
                        outcome_id=outcome.id,
                        ref=criterion_spec.ref,
                        text=criterion_spec.text,
                    )
                )
            else:
                criterion.text, criterion.outcome_id = criterion_spec.text, outcome.id
    db.flush()
    db.refresh(unit)
    return unit


def upsert_test_spec(db: Session, unit: Unit, spec: TestSpecFile) -> None:
    values = {
        "items": spec.items,
        "duration_minutes": spec.duration_minutes,
        "pass_mark_percent": spec.pass_mark_percent,
        "coverage": spec.coverage,
        "outcome_items": {str(k): v for k, v in spec.outcome_items.items()}
        if spec.outcome_items
        else None,
        "max_exposure_percent": spec.max_exposure_percent,
        "pretest_items": spec.pretest_items,
        "reasoning": spec.reasoning,
    }
    if unit.test_spec is None:
        unit.test_spec = TestSpec(unit_id=unit.id, **values)
        db.add(unit.test_spec)
    else:
        for key, value in values.items():
            setattr(unit.test_spec, key, value)
    db.flush()


def criteria_by_ref(db: Session, unit: Unit) -> dict[str, int]:
    return {c.ref: c.id for c in repository.criteria_of(db, unit.id)}


def get_qualification(db: Session, code: str) -> Qualification:
    qualification = repository.qualification_by_code(db, code)
    if qualification is None:
        raise NotFound(f"No qualification {code}.")
    return qualification


def all_qualifications(db: Session) -> list[Qualification]:
    return repository.all_qualifications(db)


def get_unit(db: Session, urn: str) -> Unit:
    unit = repository.unit_by_urn(db, urn)
    if unit is None:
        raise NotFound(f"No unit {urn}.")
    return unit


def find_unit(db: Session, urn: str) -> Unit | None:
    return repository.unit_by_urn(db, urn)


def group_of(unit: Unit) -> str | None:
    """The unit's group in its first qualification (units are rarely shared)."""
    return unit.memberships[0].group_code if unit.memberships else None


@dataclass(frozen=True)
class CriterionView:
    ref: str
    text: str
    live_items: int


def outline(db: Session, unit: Unit) -> list[tuple[LearningOutcome, list[CriterionView]]]:
    """The unit's outcomes and criteria, each criterion with its count of live items."""
    live = repository.live_items_per_criterion(db, unit.id)
    return [
        (outcome, [CriterionView(c.ref, c.text, live.get(c.id, 0)) for c in outcome.criteria])
        for outcome in unit.outcomes
    ]


def rules_of(qualification: Qualification) -> Rules:
    units = [
        UnitInfo(m.unit.urn, m.unit.level, m.unit.credits, m.group_code)
        for m in qualification.memberships
    ]
    return build(
        qualification.rules,
        units,
        qualification.barred,
        qualification.total_credits,
        qualification.min_credits_level,
        qualification.min_credits_at_level,
    )


def live_items(db: Session, urn: str) -> list[tuple[Item, ItemVersion, str]]:
    """The unit's live items, each with its current version and its criterion's ref."""
    unit = get_unit(db, urn)
    rows = [(i, v) for i, v in repository.current_items(db, unit.id) if i.status == "live"]
    refs = repository.criterion_refs(db, {v.criterion_id for _, v in rows})
    return [(i, v, refs[v.criterion_id]) for i, v in rows]


def examinable_units(db: Session) -> list[Unit]:
    """Every loaded unit that has a test specification (so it can be sat here), by URN."""
    units = {
        m.unit.urn: m.unit
        for q in all_qualifications(db)
        for m in q.memberships
        if m.unit.test_spec is not None
    }
    return [units[urn] for urn in sorted(units)]

"""The awarding body's view of qualifications, units and their items."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import AdminToken
from app.deps import DbDep
from app.paths import qualification_code, unit_urn
from app.qualifications import repository, service
from app.qualifications.schemas import (
    CriterionOut,
    ItemOut,
    LevelCreditsOut,
    OptionOut,
    OutcomeOut,
    QualificationOut,
    QualificationUnitOut,
    TestSpecOut,
    UnitOut,
)

router = APIRouter(prefix="/api/v1", tags=["awarding body"])


@router.get("/qualifications/{qualification}", response_model=QualificationOut)
def get_qualification(qualification: str, db: DbDep, _: AdminToken) -> QualificationOut:
    q = service.get_qualification(db, qualification_code(qualification))
    level_rule = (
        LevelCreditsOut(level=q.min_credits_level, credits=q.min_credits_at_level)
        if q.min_credits_level is not None and q.min_credits_at_level is not None
        else None
    )
    return QualificationOut(
        code=q.code,
        title=q.title,
        level=q.level,
        total_credits=q.total_credits,
        min_credits_at_level_3=q.min_credits_at_level if q.min_credits_level == 3 else None,
        min_credits_at_or_above_level=level_rule,
        awarding_organisation=q.awarding_organisation,
        units=[
            QualificationUnitOut(
                urn=m.unit.urn,
                title=m.unit.title,
                level=m.unit.level,
                credits=m.unit.credits,
                glh=m.unit.glh,
                group=m.group_code,
            )
            for m in q.memberships
        ],
    )


@router.get("/units/{unit}", response_model=UnitOut)
def get_unit(unit: str, db: DbDep, _: AdminToken) -> UnitOut:
    u = service.get_unit(db, unit_urn(unit))
    spec = u.test_spec
    return UnitOut(
        urn=u.urn,
        title=u.title,
        level=u.level,
        credits=u.credits,
        glh=u.glh,
        group=service.group_of(u),
        learning_outcomes=[
            OutcomeOut(
                number=outcome.number,
                title=outcome.title,
                criteria=[
                    CriterionOut(ref=c.ref, text=c.text, live_items=c.live_items) for c in criteria
                ],
            )
            for outcome, criteria in service.outline(db, u)
        ],
        test_spec=TestSpecOut(
            items=spec.items,
            duration_minutes=spec.duration_minutes,
            pass_mark_percent=spec.pass_mark_percent,
        )
        if spec
        else None,
    )


@router.get("/units/{unit}/items", response_model=list[ItemOut])
def get_unit_items(unit: str, db: DbDep, _: AdminToken) -> list[ItemOut]:
    u = service.get_unit(db, unit_urn(unit))
    rows = repository.current_items(db, u.id)
    refs = repository.criterion_refs(db, {version.criterion_id for _, version in rows})
    return [
        ItemOut(
            id=item.external_id,
            version=version.version,
            criterion=refs[version.criterion_id],
            stem=version.stem,
            options=[OptionOut(id=o["id"], text=o["text"]) for o in version.options],
            key=version.key,
            status=item.status,
            enemies=item.enemies,
        )
        for item, version in rows
    ]

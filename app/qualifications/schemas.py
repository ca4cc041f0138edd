from __future__ import annotations

from pydantic import BaseModel


class QualificationUnitOut(BaseModel):
    urn: str
    title: str
    level: int
    credits: int
    glh: int
    group: str


class LevelCreditsOut(BaseModel):
    level: int
    credits: int


class QualificationOut(BaseModel):
    code: str
    title: str
    level: int
    total_credits: int
    min_credits_at_level_3: int | None
    min_credits_at_or_above_level: LevelCreditsOut | None
    awarding_organisation: str
    units: list[QualificationUnitOut]


class CriterionOut(BaseModel):
    ref: str
    text: str
    live_items: int


class OutcomeOut(BaseModel):
    number: int
    title: str
    criteria: list[CriterionOut]


class TestSpecOut(BaseModel):
    items: int
    duration_minutes: int
    pass_mark_percent: int


class UnitOut(BaseModel):
    urn: str
    title: str
    level: int
    credits: int
    glh: int
    group: str | None
    learning_outcomes: list[OutcomeOut]
    test_spec: TestSpecOut | None


class OptionOut(BaseModel):
    id: str
    text: str


class ItemOut(BaseModel):
    id: str
    version: int
    criterion: str
    stem: str
    options: list[OptionOut]
    key: str
    status: str
    enemies: list[str]

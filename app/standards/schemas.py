"""The standard-setting API's bodies: what a client sends and what it is shown."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas import JSON_NUMBER

Method = Literal["angoff", "ebel", "hofstee"]
Cell = Literal[
    "easy/essential",
    "easy/important",
    "easy/acceptable",
    "easy/questionable",
    "medium/essential",
    "medium/important",
    "medium/acceptable",
    "medium/questionable",
    "hard/essential",
    "hard/important",
    "hard/acceptable",
    "hard/questionable",
]
# An id as a JSON number (Whole); as an object's key (always a string in JSON), IdKey.
Id = Annotated[int, Field(ge=1, le=2**31 - 1), JSON_NUMBER]
IdKey = Annotated[int, Field(ge=1, le=2**31 - 1)]
Probability = Annotated[Decimal, Field(ge=0, le=1, max_digits=6, decimal_places=4)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ExerciseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Method
    title: Text
    items: list[Id] | None = Field(
        default=None,
        max_length=500,
        description=(
            "The reference set: item version ids of the unit. Left out: a sample of the live "
            "items covering every criterion in turn, as many as the test spec's paper has."
        ),
    )


class JudgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
        | None
    ) = Field(default=None, description="A named panellist (left out: the staff name)")
    staff_username: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = Field(default=None, description="A console staff account on the panel")


class JudgementIn(BaseModel):
    """One judge's whole judgement in a round: the members of its exercise's method only."""

    model_config = ConfigDict(extra="forbid")

    judge_id: Id
    round: Id | None = Field(default=None, description="The exercise's current round if left out")
    probabilities: dict[IdKey, Probability] | None = Field(
        default=None,
        description="Angoff: item version id -> P(a minimally competent candidate is right)",
    )
    categories: dict[IdKey, Cell] | None = Field(
        default=None, description="Ebel: item version id -> difficulty/relevance"
    )
    percentages: dict[Cell, Percent] | None = Field(
        default=None, description="Ebel: cell -> percent of its items such a candidate gets right"
    )
    k_min: Percent | None = Field(default=None, description="Hofstee: lowest acceptable cut (%)")
    k_max: Percent | None = Field(default=None, description="Hofstee: highest acceptable cut (%)")
    f_min: Percent | None = Field(
        default=None, description="Hofstee: lowest acceptable fail rate (%)"
    )
    f_max: Percent | None = Field(
        default=None, description="Hofstee: highest acceptable fail rate (%)"
    )


class SignOffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rationale: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
    ]
    round: Id | None = Field(default=None, description="The round decided on (default: current)")


class ReferenceItemOut(BaseModel):
    item_version_id: int
    item: str
    version: int
    criterion: str
    stem: str


class JudgeOut(BaseModel):
    id: int
    name: str
    staff_username: str | None


class CutOut(BaseModel):
    id: int
    unit: str
    theta: float
    percent: float = Field(description="The cut as a percentage of the reference items")
    method: str
    exercise_id: int | None
    decided_by: str
    decided_at: datetime
    rationale: str
    superseded: bool


class ExerciseOut(BaseModel):
    id: int
    unit: str
    method: str
    title: str
    round: int
    items: list[ReferenceItemOut]
    judges: list[JudgeOut]
    created_at: datetime
    created_by: str
    signed_off_at: datetime | None
    signed_off_by: str | None
    rationale: str | None
    cut: CutOut | None


class JudgementOut(BaseModel):
    judge_id: int
    round: int
    data: dict[str, object]
    recorded_at: datetime


class CutImpactOut(BaseModel):
    who: str = Field(description="A judge's name, or 'panel'")
    raw: float | None = Field(description="Expected raw score on the reference items at the cut")
    percent: float | None = Field(description="The cut as a percentage of the reference items")
    theta: float | None = Field(description="The cut on the calibrated scale (null: no scale yet)")
    pass_rate: float | None = Field(description="Percent of the results so far that would pass")


class HofsteeOut(BaseModel):
    k_min: float
    k_max: float
    f_min: float
    f_max: float


class CurvePoint(BaseModel):
    cut_percent: int
    pass_rate: float


class ImpactOut(BaseModel):
    exercise_id: int
    round: int
    method: str
    results: int = Field(description="Results so far (submitted, not voided)")
    basis: Literal["scale", "percent"] = Field(
        description="scale: each paper's own pass mark from its calibrated items; percent: no "
        "calibration of the reference items yet, each cut applied as a percentage"
    )
    judges: list[CutImpactOut]
    panel: CutImpactOut | None
    hofstee: HofsteeOut | None
    curve: list[CurvePoint] = Field(description="Pass rate at each whole-percent cut")

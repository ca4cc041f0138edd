from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas import Flag, Input, Visible, Whole

CANDIDATE_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$"
URN = r"^[A-Z]/\d{3}/\d{4}$"


class CandidateIn(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    candidate_number: str = Field(pattern=CANDIDATE_NUMBER, examples=["C0042-0001"])
    centre: str = Field(min_length=1, max_length=20, examples=["C0042"])
    first_name: Annotated[str, Visible] = Field(min_length=1, max_length=100, examples=["Ada"])
    last_name: Annotated[str, Visible] = Field(min_length=1, max_length=100, examples=["Lovelace"])
    extra_time_percent: Whole = Field(default=0, ge=0, le=200, description="access arrangement")
    rest_breaks: Flag = Field(
        default=False, description="access arrangement: supervised rest breaks"
    )


class CandidateOut(BaseModel):
    candidate_number: str
    centre: str
    first_name: str
    last_name: str
    extra_time_percent: int
    rest_breaks: bool


class UnitResultIn(Input):
    unit: str = Field(pattern=URN)
    outcome: Literal["pass"]
    method: Literal["portfolio"]
    achieved_on: date


class UnitResultOut(BaseModel):
    candidate_number: str
    unit: str
    outcome: str
    method: str
    achieved_on: date


class HeldUnit(BaseModel):
    unit: str
    level: int
    credits: int
    group: str
    method: str
    counted: bool
    not_counted_because: str | None = Field(
        default=None,
        description="why the Rules of Combination leave the unit out (barred with a unit that "
        "counts, a group's maximum, a rule it would leave unmet); null when counted",
    )


class AchievementOut(BaseModel):
    qualification: str
    achieved: bool
    credits: int
    credits_at_level_3: int
    units: list[HeldUnit]
    unmet: list[str]


class ImportOut(BaseModel):
    imported: int
    candidates: list[CandidateOut]

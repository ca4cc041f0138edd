from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator


class OptionStats(BaseModel):
    id: str
    text: str
    chosen: int = Field(description="how many of the item's n candidates chose this option")
    is_key: bool
    proportion: float | None = Field(description="chosen / n")
    point_biserial: float | None = Field(
        description="Pearson r between choosing this option and the percent on the other items"
    )
    mean_percent: float | None = Field(
        description="mean percent (on the whole paper) of the candidates who chose it"
    )


class ItemStats(BaseModel):
    item_id: str
    version: int
    n: int = Field(description="candidates whose paper held this item version")
    facility: float | None = Field(description="mean item score, 0..1")
    discrimination: float | None = Field(
        description="Pearson r between the item score and the percent on the other items of "
        "the candidate's own paper (null when undefined)"
    )
    flags: list[str]
    options: list[OptionStats]
    excluded: bool = Field(description="excluded from marking")
    pretest: bool = Field(
        default=False,
        description="sat as an unscored pretest item on at least one of the n papers (its "
        "figures are its own; it counted in no one's score there)",
    )
    pretest_n: int = Field(default=0, description="of the n, papers that held it as pretest")
    upper_lower: float | None = Field(
        description="facility among the top 27 % minus among the bottom 27 % (by the other items)"
    )
    omit_rate: float | None = Field(description="share of the n who left it unanswered")
    median_seconds: float | None = Field(
        description="median seconds from the previous answer on the paper (or the start) to "
        "this item's answer, over those who answered it"
    )


class Band(BaseModel):
    from_percent: int
    to_percent: int
    candidates: int


class FormStats(BaseModel):
    candidates: int
    items: int
    mean_score: float
    sd_score: float
    kr20: float | None
    sem: float | None = Field(description="standard error of measurement, in raw marks")
    sem_percent: float | None
    flags: list[str]


class UnitStats(BaseModel):
    unit: str
    candidates: int = Field(description="submitted, not voided results in the window")
    items: list[ItemStats]
    window_from: datetime | None = None
    window_to: datetime | None = None
    centre: str | None = None
    mean_percent: float | None = None
    sd_percent: float | None = Field(default=None, description="sample SD (n - 1)")
    median_percent: float | None = None
    distribution: list[Band] = []
    forms: list[FormStats] = Field(
        default=[],
        description="groups of candidates who sat the same scored items (at least two), with "
        "KR-20: largest first",
    )


class ExcludeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Give the reason for excluding this item version.")
        return value


class ExclusionOut(BaseModel):
    item_id: str
    version: int
    reason: str
    excluded_by: str
    excluded_at: datetime
    remarked: int = Field(description="results this request marked again (0 when repeated)")

"""The two bank file kinds, as pydantic models. question_banks/schema/*.json is generated from
these (`examhall banks schema`), so editors and the validator read the same rules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

URN_PATTERN = r"^[A-Z]/\d{3}/\d{4}$"
QUAL_CODE_PATTERN = r"^\d{3}/\d{4}/\d$"
REF_PATTERN = r"^\d{2}\.\d{2}$"
ITEM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$"
# Option ids reach the candidate's browser: random characters, never a position (a/b/c/d, 1/2/3).
OPTION_ID_PATTERN = r"^[a-z2-9]{4,12}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- qualification.yaml -------------------------------------------------------------------


class CriterionFile(_Strict):
    ref: str = Field(pattern=REF_PATTERN)
    text: str = Field(min_length=1)


class OutcomeFile(_Strict):
    number: int = Field(ge=1, le=99)
    title: str = Field(min_length=1)
    criteria: list[CriterionFile] = Field(min_length=1)


class UnitFile(_Strict):
    urn: str = Field(pattern=URN_PATTERN)
    title: str = Field(min_length=1)
    level: int = Field(ge=1, le=8)
    glh: int = Field(ge=0)
    credits: int = Field(ge=1)
    group: str = Field(
        min_length=1, description="code of the Rules of Combination group holding the unit"
    )
    learning_outcomes: list[OutcomeFile] = Field(min_length=1)


class GroupFile(_Strict):
    """A Rules of Combination group: either of units (min/max_units) or of groups (min/max_groups).
    A limit of null means none. A group that is not mandatory need not be used."""

    code: str = Field(min_length=1, max_length=20)
    title: str = Field(min_length=1)
    mandatory: bool
    min_units: int | None = Field(default=None, ge=0)
    max_units: int | None = Field(default=None, ge=1)
    min_groups: int | None = Field(default=None, ge=0)
    max_groups: int | None = Field(default=None, ge=1)
    min_credits: int | None = Field(default=None, ge=0)
    max_credits: int | None = Field(default=None, ge=1)
    groups: list[GroupFile] | None = None

    @model_validator(mode="after")
    def _shape(self) -> GroupFile:
        if self.groups is None and (self.min_groups is not None or self.max_groups is not None):
            raise ValueError("min_groups/max_groups belong to a group of groups")
        if self.groups is not None and (self.min_units is not None or self.max_units is not None):
            raise ValueError("min_units/max_units belong to a group of units")
        for low, high in (
            (self.min_units, self.max_units),
            (self.min_groups, self.max_groups),
            (self.min_credits, self.max_credits),
        ):
            if low is not None and high is not None and low > high:
                raise ValueError(f"a minimum ({low}) above its maximum ({high})")
        return self


class LevelCredits(_Strict):
    level: int = Field(ge=1, le=8)
    credits: int = Field(ge=0)


class QualificationFile(_Strict):
    code: str = Field(pattern=QUAL_CODE_PATTERN)
    title: str = Field(min_length=1)
    awarding_organisation: str = Field(min_length=1)
    level: int = Field(ge=1, le=8)
    total_credits: int = Field(ge=1)
    min_credits_at_or_above_level: LevelCredits | None = None
    rules_of_combination: GroupFile
    barred: list[tuple[str, str]] = Field(default_factory=list)
    units: list[UnitFile] = Field(min_length=1)


# --- units/<URN>.yaml ---------------------------------------------------------------------


class OptionFile(_Strict):
    id: str = Field(pattern=OPTION_ID_PATTERN)
    text: str = Field(min_length=1, max_length=600)
    why: str | None = Field(default=None, description="for a distractor: why it is wrong")


class ImageFile(_Strict):
    file: str = Field(
        pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._/-]*\.(png|jpe?g|gif|webp)$",
        description="the picture, relative to the bank file (e.g. media/D6017644-001-1.png)",
    )
    alt: str | None = Field(
        default=None, description="what the picture shows, for screen readers: required to load"
    )


class SourceFile(_Strict):
    """Where an imported item came from (written by `examhall banks import`)."""

    format: str
    file: str
    id: str
    category: str | None = None
    tags: list[str] = Field(default_factory=list)


class ItemFile(_Strict):
    id: str = Field(pattern=ITEM_ID_PATTERN)
    criterion: str | None = Field(
        default=None,
        pattern=REF_PATTERN,
        description="required before the item can be loaded; an import leaves it unset unless "
        "its mapping file gives one",
    )
    status: Literal["draft", "pretest", "live", "retired"] = Field(
        description="draft: not on papers; pretest: on papers as an unscored item (answered "
        "and calibrated, never counted) when the test spec asks for pretest_items; live: "
        "scored; retired: on no new paper"
    )
    stem: str = Field(
        min_length=1, max_length=4000, description="plain text, at least 10 characters"
    )
    stem_html: str | None = Field(
        default=None,
        max_length=20000,
        description="optional rich text of the stem in the safe subset (paragraphs, lists, "
        "emphasis, tables, sub/superscript); `stem` stays its plain-text reading",
    )
    images: list[ImageFile] = Field(default_factory=list, max_length=10)
    options: list[OptionFile] = Field(min_length=2, max_length=10, description="3 to 5 options")
    key: str
    rationale: str | None = Field(
        default=None, description="required before the item can be loaded"
    )
    enemies: list[str] = Field(default_factory=list)
    source: SourceFile | None = None

    @model_validator(mode="after")
    def _one_key(self) -> ItemFile:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError("option ids must be distinct")
        if self.key not in ids:
            raise ValueError(f"key {self.key!r} is not one of the option ids")
        return self


class TestSpecFile(_Strict):
    items: int = Field(ge=1, le=300, description="items per paper")
    duration_minutes: int = Field(ge=1, le=600)
    pass_mark_percent: int = Field(ge=1, le=100)
    coverage: Literal["proportional"] = Field(
        default="proportional",
        description="items spread over learning outcomes in proportion to their criteria, at least "
        "one each; one item per criterion until every criterion of the outcome is used",
    )
    outcome_items: dict[int, int] | None = Field(
        default=None, description="explicit items per outcome"
    )
    max_exposure_percent: int = Field(
        default=40, ge=1, le=100, description="of the live bank per paper"
    )
    min_live_items_per_criterion: int = Field(default=3, ge=0)
    pretest_items: int = Field(
        default=0,
        ge=0,
        le=100,
        description="unscored pretest items each paper carries beside its `items` scored ones "
        "(as many as the bank's pretest items allow): shuffled among them, indistinguishable "
        "to the candidate, never counted in the score or the pass mark",
    )
    reasoning: str = Field(min_length=1, description="why these numbers")

    @model_validator(mode="after")
    def _pretest_share(self) -> TestSpecFile:
        if self.pretest_items > self.items:
            raise ValueError(
                f"pretest_items ({self.pretest_items}) above the scored items ({self.items}): "
                "a paper would be mostly unscored"
            )
        return self


class UnitBankFile(_Strict):
    unit: str = Field(pattern=URN_PATTERN)
    test_spec: TestSpecFile
    items: list[ItemFile] = Field(default_factory=list)

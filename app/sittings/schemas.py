from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool

from app.schemas import JSON_NUMBER, Input, Instant, Whole
from app.sittings.status import AttemptStatus, SittingStatus


def _plausible_start(value: datetime) -> datetime:
    if not FIRST_START <= value < LAST_START:
        raise ValueError(
            f"a sitting starts between {FIRST_START:%Y} and {LAST_START.year - 1}, not in"
            f" {value:%Y}"
        )
    return value


# A sitting's start is a day of this century's calendar: year 1 or 9999 is a typing slip (or a
# probe), not an exam, and arithmetic on it overflows Python's dates.
FIRST_START = datetime(2000, 1, 1, tzinfo=UTC)
LAST_START = datetime(2100, 1, 1, tzinfo=UTC)
SittingStart = Annotated[Instant, AfterValidator(_plausible_start)]


class SessionIn(Input):
    centre: str = Field(min_length=1, max_length=20, examples=["C0042"])
    unit: str = Field(pattern=r"^[A-Z]/\d{3}/\d{4}$", examples=["D/601/7644"])
    scheduled_start: SittingStart = Field(examples=["2026-12-08T09:00:00Z"])
    candidates: list[str] = Field(
        min_length=1, max_length=2000, examples=[["C0042-0001", "C0042-0002"]]
    )
    # Bounds inside the Annotated, so that the published schema says minimum and maximum
    duration_minutes: Annotated[int, Field(ge=1, le=600), JSON_NUMBER] | None = Field(
        default=None, examples=[45]
    )
    approve_admission: StrictBool = Field(
        default=False,
        description="The invigilator approves each candidate's first sign-in from the register.",
    )
    reading_minutes: Annotated[int, Field(ge=0, le=60), JSON_NUMBER] | None = Field(
        default=None,
        description="How long a candidate signed in at the exam page may read the instructions "
        "before their clock starts anyway (default 5)",
    )


class CandidateCode(BaseModel):
    candidate_number: str
    access_code: str = Field(
        description="This candidate's own code: the only one that admits them."
    )


class SessionCreated(BaseModel):
    id: int
    access_code: str = Field(description="Names the sitting to the room; admits nobody.")
    status: SittingStatus
    approve_admission: bool
    candidates: list[CandidateCode]


class CandidateLogin(Input):
    candidate_number: str = Field(min_length=1, max_length=40, examples=["C0042-0001"])
    access_code: str = Field(min_length=1, max_length=20, examples=["K7QF2MXP"])


class CandidateLoginOut(BaseModel):
    csrf_token: str
    attempt_id: int
    admission: Literal["admitted", "awaiting_approval"] = Field(
        description="awaiting_approval: the invigilator has yet to approve this sign-in; the "
        "paper opens once they have."
    )


class OptionOut(BaseModel):
    id: str
    text: str


class QuestionOut(BaseModel):
    position: int
    stem: str
    options: list[OptionOut]
    answer: str | None
    flagged: bool
    seq: int = Field(description="The seq of the stored answer (-1 when none): send more")
    saved_at: datetime | None
    rich: bool = Field(
        default=False, description="The stem has rich text or pictures: shown by its own page"
    )


class AttemptStateOut(BaseModel):
    """The attempt's state as the exam page follows it (room events)."""

    status: AttemptStatus
    remaining_seconds: int
    deadline: datetime | None
    on_break: bool
    reading_until: datetime | None = Field(
        description="Still on the instructions: the clock starts at this time at the latest"
    )


class AttemptOut(BaseModel):
    status: AttemptStatus
    unit: str
    unit_title: str
    deadline: datetime | None
    remaining_seconds: int
    answered: int
    total: int
    on_break: bool
    rest_breaks: bool = Field(description="Supervised rest breaks are an access arrangement")
    reading_until: datetime | None
    warnings: list[int] = Field(description="Minutes left at which the candidate is told")
    items: list[QuestionOut]


class AnswerIn(Input):
    option_id: str | None = Field(max_length=16)
    seq: Whole = Field(ge=0, le=2**63 - 1)


class SavedOut(BaseModel):
    saved_at: datetime


class FlagIn(Input):
    flagged: StrictBool  # "no" is not false: a flag is true or false, nothing else


class FlagOut(BaseModel):
    position: int
    flagged: bool


class SubmittedOut(BaseModel):
    status: AttemptStatus


class ClockOut(BaseModel):
    status: AttemptStatus
    admission: Literal["admitted", "awaiting_approval"]
    remaining_seconds: int
    deadline: datetime | None

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from app.schemas import Input, Instant
from app.sittings.status import AttemptStatus, SittingStatus


class SessionIn(Input):
    centre: str = Field(min_length=1, max_length=20)
    unit: str = Field(pattern=r"^[A-Z]/\d{3}/\d{4}$")
    scheduled_start: Instant
    candidates: list[str] = Field(min_length=1, max_length=2000)
    duration_minutes: int | None = Field(default=None, ge=1, le=600)
    approve_admission: StrictBool = Field(
        default=False,
        description="The invigilator approves each candidate's first sign-in from the register.",
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
    candidate_number: str = Field(min_length=1, max_length=40)
    access_code: str = Field(min_length=1, max_length=20)


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


class AttemptOut(BaseModel):
    status: AttemptStatus
    unit: str
    unit_title: str
    deadline: datetime | None
    remaining_seconds: int
    answered: int
    total: int
    items: list[QuestionOut]


class AnswerIn(Input):
    option_id: str | None = Field(max_length=16)
    seq: int = Field(ge=0, le=2**63 - 1)


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

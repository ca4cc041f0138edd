from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictBool

from app.schemas import Input, Instant


class SessionIn(Input):
    centre: str = Field(min_length=1, max_length=20)
    unit: str = Field(pattern=r"^[A-Z]/\d{3}/\d{4}$")
    scheduled_start: Instant
    candidates: list[str] = Field(min_length=1, max_length=2000)
    duration_minutes: int | None = Field(default=None, ge=1, le=600)


class SessionCreated(BaseModel):
    id: int
    access_code: str
    status: str


class CandidateLogin(Input):
    candidate_number: str = Field(min_length=1, max_length=40)
    access_code: str = Field(min_length=1, max_length=20)


class CandidateLoginOut(BaseModel):
    csrf_token: str
    attempt_id: int


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
    status: str
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
    status: str


class ClockOut(BaseModel):
    status: str
    remaining_seconds: int
    deadline: datetime | None

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas import Input, Note, Reason, Whole
from app.sittings.status import AttemptStatus, SittingStatus


class RegisterLineOut(BaseModel):
    candidate_number: str
    name: str
    status: AttemptStatus
    access_code: str = Field(description="The candidate's own code, for their slip")
    admission: Literal["not_signed_in", "awaiting_approval", "admitted"] = Field(
        description="awaiting_approval: signed in, waiting for the invigilator to admit them"
    )
    credited_seconds: int = Field(description="Time given back because the service itself was down")
    answered: int
    total: int
    remaining_seconds: int
    last_seen_at: datetime | None
    disconnected: bool
    lost_seconds: int
    device: str | None = Field(description="Short name of the device holding the paper")
    readmitted_at: datetime | None = Field(description="Re-admitted; waiting for the sign-in")
    refused_sign_in_at: datetime | None = Field(
        description="Last sign-in refused because the paper was open on another device"
    )
    shown_status: str = Field(
        description="The status as the room sees it: also `reading` (signed in, clock not "
        "started: status stays not_started) and `on_break` (status stays paused)"
    )
    reading_until: datetime | None = Field(
        description="On the instructions: the clock starts at this time at the latest"
    )
    on_break: bool
    rest_break_seconds: int = Field(description="Rest breaks already ended, in seconds")
    rest_breaks: bool = Field(description="Access arrangement: supervised rest breaks")
    extra_time_percent: int = Field(description="Access arrangement: extra time")
    started_at: datetime | None


class SessionOut(BaseModel):
    id: int
    centre: str
    unit: str
    unit_title: str
    status: SittingStatus
    access_code: str = Field(description="Names the sitting to the room; admits nobody")
    approve_admission: bool
    scheduled_start: datetime
    duration_minutes: int
    candidates: list[RegisterLineOut]


class AttemptCounts(BaseModel):
    not_started: int = 0
    in_progress: int = 0
    paused: int = 0
    submitted: int = 0
    voided: int = 0


class SessionSummary(BaseModel):
    id: int
    centre: str
    unit: str
    unit_title: str
    status: SittingStatus
    scheduled_start: datetime
    duration_minutes: int
    candidates: int = Field(description="how many candidates the session has")
    attempts: AttemptCounts = Field(description="the candidates' attempts by status")


class ExtraTimeIn(Input):
    minutes: Whole = Field(ge=1, le=240)
    reason: str = Field(default="", max_length=500)


class ReadmitIn(Input):
    reason: Reason
    computer: Literal["refused", "next"] = Field(
        default="refused",
        description="refused: keep the paper for the computer whose sign-in was last refused "
        "(if none was, as next); next: for the candidate's next sign-in, on any computer",
    )

    @property
    def next_sign_in(self) -> bool:
        return self.computer == "next"


class VoidIn(Input):
    reason: Reason


class IncidentIn(Input):
    candidate_number: str | None = Field(default=None, max_length=40)
    category: Literal[
        "illness", "disturbance", "technical", "suspected_malpractice", "fire_alarm", "other"
    ] = "other"
    note: Note


class IncidentOut(BaseModel):
    id: int
    candidate_number: str | None
    category: str
    note: str
    created_at: datetime


class NoFieldsIn(Input):
    """An action that takes nothing but who asks and where (its form carries only the token)."""

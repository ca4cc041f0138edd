from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class OutcomeScore(BaseModel):
    number: int
    score: int
    max_score: int


class ResultOut(BaseModel):
    attempt_id: int
    candidate_number: str
    centre: str
    unit: str
    session_id: int
    score: int
    max_score: int
    percent: float
    pass_mark_percent: int
    outcome: str
    started_at: datetime | None
    submitted_at: datetime
    submitted_by: str
    by_learning_outcome: list[OutcomeScore]
    voided: bool
    rest_break_seconds: int = Field(
        default=0, description="Supervised rest breaks taken (the clock stopped for them)"
    )


class ResultsPage(BaseModel):
    results: list[ResultOut]
    next_cursor: str | None


class CorrectionOut(BaseModel):
    kind: str  # "voided": the result no longer counts
    reason: str
    recorded_at: datetime
    result: ResultOut  # the result as it now stands


class CorrectionsPage(BaseModel):
    corrections: list[CorrectionOut]
    next_cursor: str | None

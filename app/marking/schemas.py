from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OutcomeScore(BaseModel):
    number: int
    score: int
    max_score: int


class ResultBody(BaseModel):
    """A result as signed: everything the feed shows but its signature.

    A correction's result is rebuilt from its signed payload; extra="allow" keeps a member
    that a later version no longer has. A member added here changes what is signed: it needs a
    default (old payloads lack it), and signatures made before it no longer match what the feeds
    show until the results are signed again."""

    model_config = ConfigDict(extra="allow")

    attempt_id: int
    candidate_number: str
    centre: str
    unit: str
    session_id: int
    score: int
    max_score: int
    percent: float
    pass_mark_percent: int
    pass_mark: int | None = Field(
        default=None,
        description=(
            "The raw marks this paper needed (its own, under a standard-set cut); "
            "null only on a result recorded before it was kept"
        ),
    )
    outcome: str
    started_at: datetime | None
    submitted_at: datetime
    submitted_by: str
    by_learning_outcome: list[OutcomeScore]
    voided: bool
    rest_break_seconds: int = Field(
        default=0, description="Supervised rest breaks taken (the clock stopped for them)"
    )


class ResultOut(ResultBody):
    # A compact JWS (ES256, kid in its header) whose payload is this object without
    # `signature`, as RFC 8785 canonical JSON; public keys at /.well-known/jwks.json.
    # Null only for a result recorded before signing existed and not yet signed since.
    signature: str | None = Field(
        description="A compact JWS (ES256, `kid` in its header) whose payload is this result"
        " without `signature`, as RFC 8785 canonical JSON; the keys are at"
        " /.well-known/jwks.json (fetch it again for a `kid` you do not know). Null only for a"
        " result recorded before signing existed and not signed since."
    )


class ResultsPage(BaseModel):
    results: list[ResultOut]
    next_cursor: str | None


class CorrectionOut(BaseModel):
    # "voided": the result no longer counts; "remarked": marked again without an excluded
    # item version (score, max_score, percent, outcome and by_learning_outcome follow)
    kind: Literal["voided", "remarked"]
    reason: str
    recorded_at: datetime
    result: ResultOut  # the result as this correction left it, signed then


class CorrectionsPage(BaseModel):
    corrections: list[CorrectionOut]
    next_cursor: str | None

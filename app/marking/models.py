from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class Result(Base):
    """A marked attempt: written once, in the transaction that submits the attempt."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The order results were recorded in: taken under a row lock, so it is also commit order.
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[int] = mapped_column(Integer)
    percent: Mapped[float] = mapped_column(Numeric(5, 2, asdecimal=False))
    pass_mark_percent: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(4))
    by_learning_outcome: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str] = mapped_column(String(12))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Supervised rest breaks taken (the clock stopped for them), reported with the result.
    rest_break_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    voided: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # A compact JWS over the result as it now stands (app/signing), made whenever it changes;
    # null only for results recorded before signing existed (`examhall keys sign-unsigned`).
    signature: Mapped[str | None] = mapped_column(Text)
    signing_kid: Mapped[str | None] = mapped_column(String(64), index=True)


class ResultCorrection(Base):
    """A change to a result already recorded (it was voided), for pullers who have it already.

    Numbered like results, from a counter taken under a row lock, so the corrections feed
    follows commit order too."""

    __tablename__ = "result_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # voided | remarked
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The result as this correction left it, signed: its JWS payload is what the feed shows, so
    # each correction stays verifiable however the result changes later.
    signature: Mapped[str | None] = mapped_column(Text)
    signing_kid: Mapped[str | None] = mapped_column(String(64), index=True)

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime


class Sitting(Base):
    """A scheduled exam session at a centre for one unit (the contract's 'session')."""

    __tablename__ = "sittings"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # a SittingStatus
    # Names the sitting to the room; admits nobody (each candidate has their own code).
    access_code: Mapped[str] = mapped_column(String(12), index=True)
    # The stricter admission: the invigilator approves each candidate's first sign-in.
    approve_admission: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    scheduled_start: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(Integer)
    # How long a signed-in candidate may read the instructions before their clock starts anyway.
    reading_minutes: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    pass_mark_percent: Mapped[int] = mapped_column(Integer)
    # What assembly saw (see scheduling._snapshot): with the seeds, rebuilds every paper exactly.
    pool: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    attempts: Mapped[list[Attempt]] = relationship(back_populates="sitting", order_by="Attempt.id")


class Attempt(Base):
    """One candidate's paper in one sitting, and the state of their clock."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("sitting_id", "candidate_id"),
        Index("ix_attempts_sitting_code", "sitting_id", "access_code", unique=True),
        # A sign-in finds its attempt by the candidate's personal code alone.
        Index("ix_attempts_access_code", "access_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # an AttemptStatus, moved by lifecycle only
    # The candidate's own code for this sitting: the only thing that admits them.
    access_code: Mapped[str] = mapped_column(String(16))
    # Approval (sittings with approve_admission): asked at the first sign-in, given by the
    # invigilator from the register; the paper opens only once admitted.
    admission_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Asked for admission at the exam page: once admitted, they read the instructions and
    # their clock starts at Start (or the reading limit), as without approval. A client of the
    # JSON API has no instructions: its clock starts at admission.
    reads_instructions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    seed: Mapped[int] = mapped_column(Integer)
    allowed_seconds: Mapped[int] = mapped_column(Integer)  # duration, extra time, time added
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)  # while running
    # Signed in through the exam page, reading the instructions: the clock starts when they
    # press Start, or at this moment at the latest (the session's reading limit).
    reading_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A supervised rest break (the rest_breaks access arrangement) is a pause the candidate may
    # end: it started then; the breaks already ended add up to rest_break_seconds.
    break_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rest_break_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(12))
    # The raw marks this paper needs, fixed when it was built from the unit's standard-set cut
    # (app/standards): None when the unit had none, and the sitting's pass mark applies.
    pass_mark: Mapped[int | None] = mapped_column(Integer)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Time the page stopped reporting while the clock ran: shown to the invigilator, never
    # credited silently (they may add it back as extra time).
    lost_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Time given back because the service itself was down (see sittings.downtime).
    credited_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(Text)
    # The one device the paper is open on (see sittings.devices): a hash of its cookie, the
    # last time its exam page reported, and the admission number its sign-in cookie must carry.
    device_hash: Mapped[str | None] = mapped_column(String(64))
    page_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    admission: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    readmitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # awaiting sign-in
    refused_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refused_device_hash: Mapped[str | None] = mapped_column(String(64))
    # The order in which what the exam page shows (repository.FINGERPRINT) last changed: the
    # database's own trigger moves it in the transaction that changes any of those columns,
    # whoever writes them (migration 3c1e5a7d9b02). Never written here; read by the room's
    # loop (events.py), so not loaded with the object.
    page_seq: Mapped[int] = mapped_column(BigInteger, server_default="0", index=True, deferred=True)

    sitting: Mapped[Sitting] = relationship(back_populates="attempts")
    items: Mapped[list[PaperItem]] = relationship(
        order_by="PaperItem.position", cascade="all, delete-orphan"
    )


class PaperItem(Base):
    """A position on a candidate's paper: the frozen item version, its option order, the answer."""

    __tablename__ = "paper_items"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    option_order: Mapped[list[str]] = mapped_column(JSON)
    answer: Mapped[str | None] = mapped_column(String(16))
    answer_seq: Mapped[int] = mapped_column(BigInteger, default=-1)  # clients may use ms clocks
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # An unscored pretest item (fixed when the paper is built): answered and calibrated like
    # the rest, never counted in the score, the maximum or the pass mark.
    pretest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


@dataclass(frozen=True, slots=True)
class AttemptClock:
    """An attempt's clock and presence, as the heartbeat reads them (not an ORM object)."""

    status: str
    allowed_seconds: int
    paused_seconds: int
    started_at: datetime | None
    paused_at: datetime | None
    deadline_at: datetime | None
    last_seen_at: datetime | None
    device_hash: str | None
    page_seen_at: datetime | None
    admission: int
    admitted_at: datetime | None


Index("ix_attempts_running", Attempt.status, Attempt.deadline_at)
Index("ix_attempts_reading", Attempt.status, Attempt.reading_until)


class ServiceBeat(Base):
    """The last moment the service was known to be running (one row), so time it was down can
    be given back to every candidate whose clock ran meanwhile."""

    __tablename__ = "service_beats"

    id: Mapped[int] = mapped_column(primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())

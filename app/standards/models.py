"""Standard setting: panels' exercises, their judges and judgements, and the cuts they decide."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime


class StandardExercise(Base):
    """One panel's standard setting for a unit by one method, in rounds, until signed off."""

    __tablename__ = "standard_exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(10))  # angoff | ebel | hofstee
    title: Mapped[str] = mapped_column(String(200))
    round: Mapped[int] = mapped_column(Integer, default=1)  # the round judges record into now
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(160))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_off_by: Mapped[str | None] = mapped_column(String(160))
    rationale: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list[StandardItem]] = relationship(
        order_by="StandardItem.position", cascade="all, delete-orphan"
    )
    judges: Mapped[list[StandardJudge]] = relationship(
        order_by="StandardJudge.id", cascade="all, delete-orphan"
    )


class StandardItem(Base):
    """An item version in the exercise's reference set: what the panel judges."""

    __tablename__ = "standard_items"
    __table_args__ = (UniqueConstraint("exercise_id", "item_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(
        ForeignKey("standard_exercises.id", ondelete="CASCADE")
    )
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)


class StandardJudge(Base):
    """A panellist: a staff account, or someone named (an outside subject expert)."""

    __tablename__ = "standard_judges"
    __table_args__ = (UniqueConstraint("exercise_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(
        ForeignKey("standard_exercises.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(120))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StandardJudgement(Base):
    """A judge's whole judgement in one round (recorded again in the same round: replaced).

    `data` by method: angoff {"items": {version id: probability}}; ebel {"items": {version id:
    "difficulty/relevance"}, "percentages": {cell: percent}}; hofstee {"k_min", "k_max",
    "f_min", "f_max"} in percent. Numbers are kept as the decimal strings entered (exact)."""

    __tablename__ = "standard_judgements"
    __table_args__ = (UniqueConstraint("judge_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(
        ForeignKey("standard_exercises.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(ForeignKey("standard_judges.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(160))


class UnitCut(Base):
    """A unit's standard, on the calibrated scale: papers scheduled while it is the unit's
    current cut (not superseded) get their raw pass marks from it."""

    __tablename__ = "unit_cuts"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    theta: Mapped[float] = mapped_column(Float)
    # The cut as a percentage of the reference items, exact as a fraction "num/den": what a
    # paper too little calibrated is held to.
    percent: Mapped[str] = mapped_column(String(60))
    method: Mapped[str] = mapped_column(String(10))
    exercise_id: Mapped[int | None] = mapped_column(
        ForeignKey("standard_exercises.id", ondelete="SET NULL")
    )
    decided_by: Mapped[str] = mapped_column(String(160))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rationale: Mapped[str] = mapped_column(Text)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

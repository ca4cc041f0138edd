from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime


class Qualification(Base):
    """A qualification as its specification gives it; the Rules of Combination are data."""

    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    awarding_organisation: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    total_credits: Mapped[int] = mapped_column(Integer)
    min_credits_level: Mapped[int | None] = mapped_column(Integer)
    min_credits_at_level: Mapped[int | None] = mapped_column(Integer)
    # The group tree and the barred pairs, as in the bank file (see app/qualifications/rules.py).
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    barred: Mapped[list[list[str]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    memberships: Mapped[list[QualificationUnit]] = relationship(
        back_populates="qualification", order_by="QualificationUnit.position"
    )


class Unit(Base):
    """A unit, identified by its URN; units can belong to several qualifications."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    urn: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[int] = mapped_column(Integer)
    glh: Mapped[int] = mapped_column(Integer)
    credits: Mapped[int] = mapped_column(Integer)

    outcomes: Mapped[list[LearningOutcome]] = relationship(
        back_populates="unit", order_by="LearningOutcome.number", cascade="all, delete-orphan"
    )
    test_spec: Mapped[TestSpec | None] = relationship(
        back_populates="unit", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[QualificationUnit]] = relationship(back_populates="unit")


class QualificationUnit(Base):
    __tablename__ = "qualification_units"
    __table_args__ = (UniqueConstraint("qualification_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_id: Mapped[int] = mapped_column(
        ForeignKey("qualifications.id", ondelete="CASCADE")
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)

    qualification: Mapped[Qualification] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship(back_populates="memberships")


class LearningOutcome(Base):
    __tablename__ = "learning_outcomes"
    __table_args__ = (UniqueConstraint("unit_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)

    unit: Mapped[Unit] = relationship(back_populates="outcomes")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="outcome", order_by="Criterion.ref", cascade="all, delete-orphan"
    )


class Criterion(Base):
    """An assessment criterion; `ref` as the specification writes it ('01.01')."""

    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("unit_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    outcome_id: Mapped[int] = mapped_column(
        ForeignKey("learning_outcomes.id", ondelete="CASCADE"), index=True
    )
    ref: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)

    outcome: Mapped[LearningOutcome] = relationship(back_populates="criteria")


class TestSpec(Base):
    """How a unit's papers are built and passed."""

    __tablename__ = "test_specs"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    items: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    pass_mark_percent: Mapped[int] = mapped_column(Integer)
    coverage: Mapped[str] = mapped_column(String(30))
    outcome_items: Mapped[dict[str, int] | None] = mapped_column(JSON)
    max_exposure_percent: Mapped[int] = mapped_column(Integer)
    # unscored pretest items each paper carries beside its `items` scored ones
    pretest_items: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reasoning: Mapped[str] = mapped_column(Text)

    unit: Mapped[Unit] = relationship(back_populates="test_spec")

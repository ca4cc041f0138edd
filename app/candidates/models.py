from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.centres.models import Centre
from app.db import Base, UTCDateTime


class Candidate(Base):
    """A registered learner; access arrangements are part of the profile, for every sitting."""

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_number: Mapped[str] = mapped_column(String(40), unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0)
    rest_breaks: Mapped[bool] = mapped_column(Boolean, default=False)
    display: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    centre: Mapped[Centre] = relationship(lazy="joined")


# A candidate number is one identifier whatever its letters' case: a candidate types it at
# sign-in, an invigilator in a URL, in either case (numbers are ASCII: CANDIDATE_NUMBER). Two
# registrations differing only in case would make every such lookup ambiguous.
Index("uq_candidates_number_folded", func.lower(Candidate.candidate_number), unique=True)


class UnitResult(Base):
    """A unit achieved outside an exam here (e.g. by portfolio), as the awarding body posts it."""

    __tablename__ = "unit_results"
    __table_args__ = (UniqueConstraint("candidate_id", "unit_id", "method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    outcome: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(20))
    achieved_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class ItemExclusion(Base):
    """An item version taken out of marking for good (a faulty item found after the sitting):
    every result whose paper held it is marked again without it, results recorded later leave
    it out, and assembly no longer places it. One row per version: excluding twice is a no-op."""

    __tablename__ = "item_exclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    excluded_by: Mapped[str] = mapped_column(String(160))
    excluded_at: Mapped[datetime] = mapped_column(UTCDateTime())

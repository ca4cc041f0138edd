from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class StaffAccount(Base):
    """A member of the awarding body's staff who signs in to the console."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)  # stored lower-case
    role: Mapped[str] = mapped_column(String(20))  # see roles.ROLES
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Every console cookie carries the epoch it was issued in; signing out, a password reset
    # and disabling the account move it on, which ends every sign-in the account holds at once
    # (a copied cookie, or a renewal landing after the sign-out, included).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

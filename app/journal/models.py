from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class JournalEntry(Base):
    """One event that changed a sitting. Each entry's hash covers its content and the previous
    entry's hash, so an edit or a deletion anywhere in a chain shows."""

    __tablename__ = "journal"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))  # "sitting:7", "attempt:42" or "unit:3"
    seq: Mapped[int] = mapped_column(Integer)
    # None on a chain that belongs to no sitting: a unit's standard setting ("unit:3").
    sitting_id: Mapped[int | None] = mapped_column(
        ForeignKey("sittings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(160))
    event: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalHead(Base):
    """The last entry of each chain: anchors the tail (a deleted last entry shows) and its row
    lock orders appends to one chain."""

    __tablename__ = "journal_heads"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    # None on a chain that belongs to no sitting: a unit's standard setting ("unit:3").
    sitting_id: Mapped[int | None] = mapped_column(
        ForeignKey("sittings.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class JournalSeal(Base):
    """A seal over the chain heads that moved since the previous seal, keyed with a secret the
    database does not hold: a history rewritten with fresh hashes, a deleted chain or a
    truncated one no longer matches a seal. Each seal also covers the one before it."""

    __tablename__ = "journal_seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heads: Mapped[dict[str, Any]] = mapped_column(JSON)  # chain -> [seq, hash]
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class JournalSealed(Base):
    """How far each chain is sealed: lets a seal cover only what moved since the last one."""

    __tablename__ = "journal_sealed"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)

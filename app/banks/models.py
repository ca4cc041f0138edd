from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime


class Item(Base):
    """A bank item: its stable id, status and enemies. Its content lives in versions."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # draft | live | retired
    enemies: Mapped[list[str]] = mapped_column(JSON)
    current_version: Mapped[int] = mapped_column(Integer)
    exposure: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # papers seen on
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    versions: Mapped[list[ItemVersion]] = relationship(
        back_populates="item", order_by="ItemVersion.version", cascade="all, delete-orphan"
    )


class ItemVersion(Base):
    """Immutable: an edit makes a new version, so a paper's frozen version never changes."""

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{id, text, why}]
    key: Mapped[str] = mapped_column(String(16))
    rationale: Mapped[str] = mapped_column(Text)
    # rich text in the safe subset (cleaned again when rendered); null for a plain stem
    stem_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    images: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON, nullable=True
    )  # [{sha256, alt}]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    item: Mapped[Item] = relationship(back_populates="versions")


class ItemMedia(Base):
    """A picture an item shows, stored once by its SHA-256 (every instance serves it alike)."""

    __tablename__ = "item_media"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

"""Named counters whose row lock orders concurrent writers: values follow commit order.

(A sequence or autoincrement id does not: a transaction can take id 5, commit after the one that
took id 6, and a reader in between would skip 5 for ever.)
"""

from __future__ import annotations

from sqlalchemy import Integer, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def next_value(db: Session, name: str) -> int:
    """Increment the counter; its row stays locked until this transaction ends."""
    return next_values(db, name, 1)


def next_values(db: Session, name: str, count: int) -> int:
    """Take `count` consecutive values (for a bulk load); the first of them. The row stays
    locked until this transaction ends."""
    value = db.scalar(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    )
    if value is None:  # first use; the migration creates the counters the service needs
        db.add(Counter(name=name, value=count))
        db.flush()
        return 1
    return int(value) - count + 1

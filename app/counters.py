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
    value = db.scalar(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    if value is None:  # first use; the migration creates the counters the service needs
        db.add(Counter(name=name, value=1))
        db.flush()
        return 1
    return int(value)

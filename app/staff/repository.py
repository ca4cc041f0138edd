from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.staff.models import StaffAccount


def by_username(db: Session, username: str) -> StaffAccount | None:
    return db.scalar(select(StaffAccount).where(StaffAccount.username == username.strip().lower()))


def by_id(db: Session, account_id: int) -> StaffAccount | None:
    return db.get(StaffAccount, account_id)


def all_accounts(db: Session) -> list[StaffAccount]:
    return list(db.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def next_epoch(db: Session, account_id: int) -> None:
    """Move the account's sign-in epoch on in the database itself (`session_epoch + 1`, not a
    value read earlier: a sign-out committed meanwhile is not undone); the account as loaded in
    this session follows."""
    db.execute(
        update(StaffAccount)
        .where(StaffAccount.id == account_id)
        .values(session_epoch=StaffAccount.session_epoch + 1)
        .execution_options(synchronize_session="fetch")
    )

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.staff.models import StaffAccount


def by_username(db: Session, username: str) -> StaffAccount | None:
    return db.scalar(select(StaffAccount).where(StaffAccount.username == username.strip().lower()))


def by_id(db: Session, account_id: int) -> StaffAccount | None:
    return db.get(StaffAccount, account_id)


def all_accounts(db: Session) -> list[StaffAccount]:
    return list(db.scalars(select(StaffAccount).order_by(StaffAccount.username)))

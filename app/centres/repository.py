from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.centres.models import Centre, Invigilator


def centre_by_code(db: Session, code: str) -> Centre | None:
    return db.scalar(select(Centre).where(func.lower(Centre.code) == code.strip().lower()))


def invigilator(db: Session, centre_id: int, username: str) -> Invigilator | None:
    return db.scalar(
        select(Invigilator).where(
            Invigilator.centre_id == centre_id,
            func.lower(Invigilator.username) == username.strip().lower(),
        )
    )

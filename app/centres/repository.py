from __future__ import annotations

from sqlalchemy import func, select, update
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


def centre_by_id(db: Session, centre_id: int) -> Centre | None:
    return db.get(Centre, centre_id)


def all_centres(db: Session) -> list[tuple[Centre, int]]:
    """Every centre, by code, with how many invigilators it has."""
    counts = (
        select(Invigilator.centre_id, func.count().label("n"))
        .group_by(Invigilator.centre_id)
        .subquery()
    )
    rows = db.execute(
        select(Centre, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.centre_id == Centre.id)
        .order_by(Centre.code)
    )
    return [(c, int(n)) for c, n in rows]


def invigilators_of(db: Session, centre_id: int) -> list[Invigilator]:
    return list(
        db.scalars(
            select(Invigilator)
            .where(Invigilator.centre_id == centre_id)
            .order_by(Invigilator.username)
        )
    )


def next_session_epoch(db: Session, invigilator_id: int) -> None:
    """Move the invigilator's sign-in epoch on in the database itself (`session_epoch + 1`, not
    a value read earlier: two sign-outs at once both count)."""
    db.execute(
        update(Invigilator)
        .where(Invigilator.id == invigilator_id)
        .values(session_epoch=Invigilator.session_epoch + 1)
        .execution_options(synchronize_session="fetch")
    )

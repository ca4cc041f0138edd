from __future__ import annotations

from sqlalchemy import exists, func, select, union_all
from sqlalchemy.orm import Session

from app.marking.models import Result, ResultCorrection
from app.signing.models import SigningKey


def active(db: Session) -> SigningKey | None:
    """The newest key not retired: the one that signs."""
    return db.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.id.desc())
        .limit(1)
    )


def unretired(db: Session) -> list[SigningKey]:
    return list(db.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))))


def by_kid(db: Session, kid: str) -> SigningKey | None:
    return db.scalar(select(SigningKey).where(SigningKey.kid == kid))


def all_keys(db: Session) -> list[SigningKey]:
    return list(db.scalars(select(SigningKey).order_by(SigningKey.id)))


def signature_counts(db: Session) -> dict[str, int]:
    """How many stored signatures (results as they stand, and corrections) name each kid."""
    kids = union_all(
        select(Result.signing_kid.label("kid")).where(Result.signing_kid.is_not(None)),
        select(ResultCorrection.signing_kid.label("kid")).where(
            ResultCorrection.signing_kid.is_not(None)
        ),
    ).subquery()
    rows = db.execute(select(kids.c.kid, func.count()).group_by(kids.c.kid))
    return {str(kid): int(n) for kid, n in rows}


def referenced(db: Session, kid: str) -> bool:
    """Whether any stored signature names this kid (two index look-ups)."""
    return bool(
        db.scalar(select(exists().where(Result.signing_kid == kid)))
        or db.scalar(select(exists().where(ResultCorrection.signing_kid == kid)))
    )

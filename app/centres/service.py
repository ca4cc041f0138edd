"""Centres and their invigilators' accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.auth.passwords import check_strength, hash_password
from app.centres import repository
from app.centres.models import Centre, Invigilator
from app.errors import Conflict, Invalid, NotFound


def create_centre(db: Session, code: str, name: str, now: datetime) -> Centre:
    """Register a centre; codes are unique regardless of case."""
    if repository.centre_by_code(db, code) is not None:
        raise Conflict(f"Centre {code} already exists.")
    centre = Centre(code=code, name=name, created_at=now)
    db.add(centre)
    db.flush()
    return centre


def get_centre(db: Session, code: str) -> Centre:
    centre = repository.centre_by_code(db, code)
    if centre is None:
        raise NotFound(f"No centre {code}.")
    return centre


def find_centre(db: Session, code: str) -> Centre | None:
    return repository.centre_by_code(db, code)


def create_invigilator(
    db: Session, centre_code: str, username: str, password: str, now: datetime
) -> Invigilator:
    """Give a centre a new invigilator account."""
    centre = get_centre(db, centre_code)
    check_strength(password)
    if repository.invigilator(db, centre.id, username) is not None:
        raise Conflict(f"Centre {centre.code} already has an invigilator {username}.")
    account = Invigilator(
        centre_id=centre.id,
        username=username,
        password_hash=hash_password(password),
        created_at=now,
    )
    db.add(account)
    db.flush()
    return account


def find_invigilator(db: Session, centre_code: str, username: str) -> Invigilator | None:
    centre = repository.centre_by_code(db, centre_code)
    return None if centre is None else repository.invigilator(db, centre.id, username)


def get_invigilator(db: Session, invigilator_id: int) -> Invigilator | None:
    return db.get(Invigilator, invigilator_id)


def set_invigilator_password(
    db: Session, centre_code: str, username: str, password: str
) -> Invigilator:
    """Replace an invigilator's password (the CLI's reset): every sign-in they hold ends."""
    account = find_invigilator(db, centre_code, username)
    if account is None:
        raise Invalid.field("username", f"No invigilator {username!r} at centre {centre_code!r}.")
    check_strength(password)
    account.password_hash = hash_password(password)
    end_invigilator_sign_ins(db, account.id)
    return account


def end_invigilator_sign_ins(db: Session, invigilator_id: int) -> None:
    """Every cookie this invigilator holds stops working (their sign-in epoch moves on)."""
    repository.next_session_epoch(db, invigilator_id)


def get_centre_by_id(db: Session, centre_id: int) -> Centre:
    centre = repository.centre_by_id(db, centre_id)
    if centre is None:
        raise NotFound(f"No centre {centre_id}.")
    return centre


def all_centres(db: Session) -> list[tuple[Centre, int]]:
    """Every centre with its number of invigilators."""
    return repository.all_centres(db)


def invigilators_of(db: Session, centre: Centre) -> list[Invigilator]:
    return repository.invigilators_of(db, centre.id)

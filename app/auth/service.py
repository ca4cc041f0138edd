"""Staff sign-in, throttled per account and per address."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from app.auth import throttle
from app.auth.cookies import new_csrf_token
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.centres import service as centres
from app.centres.models import Invigilator
from app.config import Settings
from app.errors import Unauthorized


class HasPassword(Protocol):
    password_hash: str


class InvalidCredentials(Unauthorized):
    code = "invalid-credentials"
    commit = True  # the failure must be counted even though the request fails


def staff_session(account: Invigilator) -> dict[str, object]:
    """What a staff cookie carries: who, the CSRF token, and the sign-out epoch it belongs to."""
    return {"sub": account.id, "csrf": new_csrf_token(), "epoch": account.session_epoch}


def staff_account(db: Session, payload: dict[str, object] | None) -> Invigilator | None:
    """The account behind a staff cookie, unless it no longer exists or has signed out since
    the cookie was issued (signing out ends every cookie of that account, at once)."""
    if payload is None:
        return None
    subject, epoch = payload.get("sub"), payload.get("epoch", 0)
    if not isinstance(subject, int) or not isinstance(epoch, int):
        return None
    account = centres.get_invigilator(db, subject)
    if account is None or account.session_epoch != epoch:
        return None
    return account


def sign_out_staff(db: Session, invigilator_id: int) -> None:
    """End every cookie this account holds, on every device."""
    centres.end_invigilator_sign_ins(db, invigilator_id)


def login_invigilator(
    db: Session,
    settings: Settings,
    now: datetime,
    *,
    centre: str,
    username: str,
    password: str,
    address: str,
) -> Invigilator:
    """The invigilator for these credentials, or InvalidCredentials / Throttled."""
    keys = reserve_sign_in(
        db, settings, now, throttle.account_key("invigilator", centre, username), address
    )
    account = centres.find_invigilator(db, centre, username)
    if not verify_password(account.password_hash if account else None, password) or account is None:
        raise InvalidCredentials("Centre, username or password not recognised.")
    signed_in(db, keys, account, password)
    return account


def reserve_sign_in(
    db: Session, settings: Settings, now: datetime, account_key: str, address: str
) -> tuple[str, str]:
    """Reserve a staff sign-in's guess on its account and its address (or 429); the keys."""
    window, lockout = settings.login_window_seconds, settings.login_lockout_seconds
    address_key = throttle.address_key("staff", address)
    throttle.reserve(
        db,
        now,
        throttle.Limit(account_key, settings.login_account_failures, window, lockout),
        throttle.Limit(address_key, settings.login_address_failures, window, lockout),
    )
    return account_key, address_key


def signed_in(db: Session, keys: tuple[str, str], account: HasPassword, password: str) -> None:
    """A staff sign-in that succeeded: clear its account's count, give the address's guess
    back, and upgrade the password's hash if the parameters have changed."""
    throttle.clear(db, keys[0])
    throttle.refund(db, keys[1])
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)

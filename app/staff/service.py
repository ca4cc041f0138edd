"""The awarding body's staff accounts: created by the CLI, signed in with throttling."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from app.auth import service as auth
from app.auth import throttle
from app.auth.passwords import check_strength, hash_password, verify_password
from app.auth.service import InvalidCredentials
from app.config import Settings
from app.errors import Conflict, Invalid
from app.staff import repository
from app.staff.models import StaffAccount
from app.staff.roles import ROLES

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")


def create(db: Session, now: datetime, *, username: str, role: str, password: str) -> StaffAccount:
    """A new staff account; usernames are unique regardless of case."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise Invalid.field("username", "Use letters, digits and . _ @ - (at most 100).")
    if role not in ROLES:
        raise Invalid.field("role", f"The role must be one of {', '.join(ROLES)}.")
    check_strength(password)
    if repository.by_username(db, username) is not None:
        raise Conflict(f"A staff account {username!r} exists already.")
    account = StaffAccount(
        username=username, role=role, password_hash=hash_password(password), created_at=now
    )
    db.add(account)
    db.flush()
    return account


def set_password(db: Session, *, username: str, password: str) -> StaffAccount:
    """Replace an account's password (the CLI's reset)."""
    account = repository.by_username(db, username)
    if account is None:
        raise Invalid.field("username", f"No staff account {username!r}.")
    check_strength(password)
    account.password_hash = hash_password(password)
    end_sign_ins(db, account.id)  # whoever knew the old password is signed out too
    db.flush()
    return account


def disable(db: Session, now: datetime, *, username: str) -> StaffAccount:
    """Stop an account signing in (someone who has left); its console session ends at once."""
    account = repository.by_username(db, username)
    if account is None:
        raise Invalid.field("username", f"No staff account {username!r}.")
    if account.disabled_at is None:
        account.disabled_at = now
        end_sign_ins(db, account.id)
        db.flush()
    return account


def end_sign_ins(db: Session, account_id: int) -> None:
    """End every console sign-in this account holds, on every device, at once: its cookies
    carry the epoch they were issued in, and it moves on."""
    repository.next_epoch(db, account_id)


def signed_in(db: Session, payload: dict[str, object] | None) -> StaffAccount | None:
    """The active account behind a console cookie's payload, unless it has signed out (or had
    its password reset) since the cookie was issued. A cookie without an epoch is from before
    the console's sign-out ended sign-ins on the server: read as signed out."""
    if payload is None:
        return None
    subject, epoch = payload.get("sub"), payload.get("epoch")
    if type(subject) is not int or type(epoch) is not int:
        return None
    account = get_active(db, subject)
    return account if account is not None and account.session_epoch == epoch else None


def get_active(db: Session, account_id: int) -> StaffAccount | None:
    account = repository.by_id(db, account_id)
    return account if account is not None and account.disabled_at is None else None


def find_active(db: Session, username: str) -> StaffAccount | None:
    """An active account by its username (any case)."""
    account = repository.by_username(db, username.strip().lower())
    return account if account is not None and account.disabled_at is None else None


def list_accounts(db: Session) -> list[StaffAccount]:
    return repository.all_accounts(db)


def login(
    db: Session, settings: Settings, now: datetime, *, username: str, password: str, address: str
) -> StaffAccount:
    """The staff account for these credentials, or InvalidCredentials / Throttled.

    The same rules as an invigilator's sign-in: guesses reserved per account and per address."""
    keys = auth.reserve_sign_in(db, settings, now, throttle.account_key("staff", username), address)
    account = repository.by_username(db, username)
    usable = account is not None and account.disabled_at is None
    if not verify_password(account.password_hash if account else None, password) or not usable:
        raise InvalidCredentials("Username or password not recognised.")
    assert account is not None
    auth.signed_in(db, keys, account, password)
    return account

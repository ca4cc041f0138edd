"""Login throttling: repeated failures for one account or one address get 429 for a while.

Kept in the database, so every worker and every instance sees the same counts.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.auth.models import LoginThrottle
from app.config import Settings
from app.errors import Throttled


def account_key(kind: str, *parts: str) -> str:
    return f"account:{kind}:" + "/".join(p.strip().lower() for p in parts)


def address_key(address: str) -> str:
    return f"address:{address}"


def check(db: Session, now: datetime, *keys: str) -> None:
    """Raise Throttled while any of the keys is locked."""
    for key in keys:
        row = db.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            wait = math.ceil((row.locked_until - now).total_seconds())
            raise Throttled(
                f"Too many failed sign-in attempts. Try again in {wait} seconds.", retry_after=wait
            )


def record_failure(db: Session, settings: Settings, now: datetime, key: str, limit: int) -> None:
    row = db.get(LoginThrottle, key)
    window = timedelta(seconds=settings.login_window_seconds)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_started_at=now)
        db.add(row)
    elif row.window_started_at + window <= now:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + timedelta(seconds=settings.login_lockout_seconds)
    db.flush()


def record_failures(
    db: Session, settings: Settings, now: datetime, account: str, address: str
) -> None:
    record_failure(db, settings, now, account, settings.login_account_failures)
    record_failure(db, settings, now, address, settings.login_address_failures)


def clear(db: Session, key: str) -> None:
    row = db.get(LoginThrottle, key)
    if row is not None:
        db.delete(row)
        db.flush()

"""Sign-in throttling, kept in the database so that every worker and instance sees one count.

A sign-in first *reserves* a guess on each of its keys (an account, an address, a device at an
address): the key's row is created if need be and locked, and a key already over its limit
refuses the request before the credentials are looked at. The reservation is counted in the
same transaction, so N concurrent wrong guesses check at most `limit` of them, whatever the
interleaving; a successful sign-in gives its reservation back (`refund`) or clears the key.

Which keys a sign-in reserves on is the caller's choice; candidates never reserve on the
target's account, so nobody can lock another candidate out (see sittings.service.login).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.auth.models import LoginThrottle
from app.errors import Throttled


@dataclass(frozen=True)
class Limit:
    key: str
    failures: int  # failed sign-ins allowed within the window before the key locks
    window_seconds: int
    lockout_seconds: int


def account_key(kind: str, *parts: str) -> str:
    return f"account:{kind}:" + "/".join(p.strip().lower() for p in parts)


def address_key(kind: str, address: str) -> str:
    return f"address:{kind}:{address}"


def device_key(address: str, device_hash: str | None) -> str:
    return f"device:{address}:{device_hash or 'none'}"


def _lock_row(db: Session, key: str, now: datetime) -> LoginThrottle:
    """The key's row, created if missing and locked until the transaction ends."""
    values = {"key": key, "failures": 0, "window_started_at": now}
    dialect = db.get_bind().dialect.name
    table: Table = LoginThrottle.__table__  # type: ignore[assignment]
    stmt = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)).values(
        values
    )
    db.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
    query = select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    row = db.scalar(query.execution_options(populate_existing=True))
    assert row is not None
    return row


def reserve(db: Session, now: datetime, *limits: Limit) -> None:
    """Count one guess on every key, or refuse (429) if any key is, or now becomes, locked.
    Keys are locked in a fixed order so two sign-ins never deadlock."""
    rows = [(limit, _lock_row(db, limit.key, now)) for limit in sorted(limits, key=lambda x: x.key)]
    for _, row in rows:
        if row.locked_until is not None and row.locked_until > now:
            raise _refusal(row.locked_until, now)
    refused_until: datetime | None = None
    for limit, row in rows:
        if row.window_started_at + timedelta(seconds=limit.window_seconds) <= now:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures > limit.failures:
            row.locked_until = now + timedelta(seconds=limit.lockout_seconds)
            refused_until = max(refused_until or row.locked_until, row.locked_until)
    db.flush()
    if refused_until is not None:
        raise _refusal(refused_until, now)


def refund(db: Session, *keys: str) -> None:
    """A guess that turned out right: give its reservation back."""
    for key in keys:
        row = db.get(LoginThrottle, key)
        if row is not None and row.failures > 0:
            row.failures -= 1


def clear(db: Session, key: str) -> None:
    row = db.get(LoginThrottle, key)
    if row is not None:
        db.delete(row)
        db.flush()


def _refusal(until: datetime, now: datetime) -> Throttled:
    wait = max(1, math.ceil((until - now).total_seconds()))
    return Throttled(
        f"Too many failed sign-in attempts. Try again in {wait} seconds.", retry_after=wait
    )

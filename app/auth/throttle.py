"""Sign-in throttling, kept in the database so that every worker and instance sees one count.

A sign-in first *reserves* a guess on each of its keys (an account, an address, a device at an
address): the key's row is created if need be and locked, and a key already over its limit
refuses the request before the credentials are looked at. The reservation is counted in the
same transaction, so N concurrent wrong guesses check at most `limit` of them, whatever the
interleaving; a successful sign-in gives its reservation back (`refund`) or clears the key.

Which keys a sign-in reserves on is the caller's choice; candidates never reserve on the
target's account, so nobody can lock another candidate out (see sittings.service.login).

A candidate's sign-in, the busiest, takes no write on the throttle when it succeeds: `read`
reads its keys without locking any row, and only a failure is counted, by `fail`, which holds
the key's row while it decides, so N concurrent wrong guesses on one key are answered 401 at
most `limit` times, as with `reserve`. A right code is refused only by its address's breaker
(`count`), never by a browser's own key: see sittings.service._guess_limits.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    Row,
    Select,
    Table,
    bindparam,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.auth.models import LoginThrottle
from app.db import Work
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


@dataclass(frozen=True)
class KeyState:
    failures: int
    window_started_at: datetime
    locked_until: datetime | None


_throttles: Table = LoginThrottle.__table__  # type: ignore[assignment]


@functools.cache
def _state_of(count: int) -> Select[tuple[str, int, datetime, datetime | None]]:
    """Built once per number of keys (every candidate sign-in reads two), with a parameter a
    key: an expanding IN list would be rendered again on every call."""
    columns = (_throttles.c.key, _throttles.c.failures, _throttles.c.window_started_at)
    wanted: list[BindParameter[str]] = [bindparam(f"key{i}") for i in range(count)]
    return select(*columns, _throttles.c.locked_until).where(_throttles.c.key.in_(wanted))


def read(db: Work, *keys: str) -> dict[str, KeyState]:
    """The keys' rows that exist, read without locking anything (one query, no write)."""
    found: dict[str, KeyState] = {}
    params = {f"key{i}": key for i, key in enumerate(keys)}
    for row in db.connection().execute(_state_of(len(keys)), params):
        found[row.key] = KeyState(row.failures, row.window_started_at, row.locked_until)
    return found


def refuse_locked(now: datetime, found: dict[str, KeyState]) -> dict[str, KeyState]:
    """Refuse (429) while any of these keys is locked; else return them."""
    for seen in found.values():
        if seen.locked_until is not None and seen.locked_until > now:
            raise _refusal(seen.locked_until, now)
    return found


@dataclass(frozen=True)
class Beside:
    """A key's row read in another query's statement (a candidate's sign-in reads its two keys
    with the lookup of its code: a statement fewer). The throttle table under its own alias,
    outer-joined on the key given as the bind parameter `param`; `read` takes the row back."""

    param: str
    table: FromClause
    on: ColumnElement[bool]
    columns: tuple[ColumnElement[Any], ...]

    def read(self, row: Row[Any], found: dict[str, KeyState], key: str) -> None:
        """Add the key's state to `found` if its row exists (none: never failed)."""
        failures, started, locked = (row._mapping[column.name] for column in self.columns)
        if failures is not None:
            found[key] = KeyState(failures, started, locked)


def beside(param: str) -> Beside:
    table = _throttles.alias(f"throttle_{param}")
    names = ("failures", "window_started_at", "locked_until")
    columns = tuple(table.c[name].label(f"{param}_{name}") for name in names)
    return Beside(param, table, table.c.key == bindparam(param), columns)


def _spent(row: LoginThrottle, limit: Limit, now: datetime) -> bool:
    """Whether the key has had its `limit` failures within the current window."""
    in_window = row.window_started_at + timedelta(seconds=limit.window_seconds) > now
    return in_window and row.failures >= limit.failures


def fail(db: Session, now: datetime, limit: Limit) -> None:
    """A wrong guess on an unshared key: counted under the key's row lock. The guess that
    spends the key locks it; a guess that finds it spent (concurrent guesses checked while it
    still had room) is refused (429) and not answered, so at most `limit` are."""
    row = _lock_row(db, limit.key, now)
    if row.locked_until is not None and row.locked_until > now:
        raise _refusal(row.locked_until, now)
    if _spent(row, limit, now):
        row.locked_until = now + timedelta(seconds=limit.lockout_seconds)
        db.flush()
        raise _refusal(row.locked_until, now)
    if row.window_started_at + timedelta(seconds=limit.window_seconds) <= now:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit.failures:
        row.locked_until = now + timedelta(seconds=limit.lockout_seconds)
    db.flush()


def check(db: Session, now: datetime, *keys: str) -> None:
    """Refuse (429) while any of these keys is locked, without locking anything: for a key
    that many sign-ins share (an address), so that they are not made to queue behind one
    another. Its failures are counted afterwards with `count`."""
    for row in db.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))):
        if row.locked_until is not None and row.locked_until > now:
            raise _refusal(row.locked_until, now)


def count(db: Session, now: datetime, limit: Limit) -> None:
    """A failure on a shared key: counted (the row locked only for this), locking the key once
    it reaches its limit. A few concurrent failures may pass a limit checked this way; it is a
    circuit breaker, not the bound on guesses (that is `reserve`, on an unshared key)."""
    row = _lock_row(db, limit.key, now)
    if row.window_started_at + timedelta(seconds=limit.window_seconds) <= now:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit.failures:
        row.locked_until = now + timedelta(seconds=limit.lockout_seconds)
    db.flush()


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

"""The tamper-evident journal of every sitting: append, read, verify, replay.

Chains: one per sitting (scheduled, started, closed, incidents) and one per attempt (sign-ins,
answers, flags, pauses, time, voiding, submission, marking), so that candidates saving at once
never wait on each other; and one per unit for what belongs to no sitting (a standard signed off).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Integer,
    Select,
    Table,
    Update,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.db import Work
from app.journal.models import JournalEntry, JournalHead

GENESIS = "0" * 64


def sitting_chain(sitting_id: int) -> str:
    return f"sitting:{sitting_id}"


ATTEMPT_CHAIN = "attempt:"  # and the attempt's id


def attempt_chain(attempt_id: int) -> str:
    return f"{ATTEMPT_CHAIN}{attempt_id}"


def unit_chain(unit_id: int) -> str:
    """A unit's own chain (no sitting): its standard-setting decisions."""
    return f"unit:{unit_id}"


def digest(
    chain: str, seq: int, at: datetime, actor: str, event: str, data: dict[str, Any], prev: str
) -> str:
    content = json.dumps(
        {
            "chain": chain,
            "seq": seq,
            "at": at.isoformat(),
            "actor": actor,
            "event": event,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev + content).encode()).hexdigest()


def open_chain(db: Work, chain: str, sitting_id: int | None) -> None:
    db.flush()  # the sitting's row first: the head refers to it
    values = {"chain": chain, "sitting_id": sitting_id, "seq": 0, "hash": GENESIS}
    db.connection().execute(_OPEN_CHAIN, values)


# Built once: on every autosave, statement construction and cache keys would cost more than
# the round trips. Core on the tables, not ORM statements, for the same reason.
_entries: Table = JournalEntry.__table__  # type: ignore[assignment]
_heads: Table = JournalHead.__table__  # type: ignore[assignment]
_LOCK_HEAD = (
    select(_heads.c.seq, _heads.c.hash)
    .where(_heads.c.chain == bindparam("chain"))
    .with_for_update()
)
_INSERT_ENTRY = insert(_entries)
_OPEN_CHAIN = insert(_heads)
_MOVE_HEAD = (
    update(_heads)
    .where(_heads.c.chain == bindparam("head"))
    .values(seq=bindparam("seq"), hash=bindparam("hash"))
)
# The head moved only from where the caller read it (its seq and hash, so that a head known
# from an append rolled back since can never be taken for the one now there): it takes the
# head's row lock, and PostgreSQL checks both again after waiting for it.
_MOVE_HEAD_FROM = _MOVE_HEAD.where(
    _heads.c.seq == bindparam("prev_seq"), _heads.c.hash == bindparam("prev_hash")
)
# PostgreSQL: that move and the entry's insert as ONE statement (the insert reads the move's
# RETURNING, so it inserts nothing when the head had moved on): a round trip fewer on every
# save, flag and sign-in. SQLite has no UPDATE inside WITH: two statements there, as before.
_ENTRY_COLUMNS = ("chain", "seq", "sitting_id", "at", "actor", "event", "data", "prev_hash", "hash")
_ENTRY_PARAMS = tuple(f"entry_{name}" for name in _ENTRY_COLUMNS[1:])


def _entry_param(name: str) -> BindParameter[Any]:
    """An entry's column as a parameter: typed (psycopg's dialect casts each: ::INTEGER), and
    named apart from the move's own "seq" and "hash" (a name shared across a CTE is left
    without a value). sitting_id's type is its foreign key's, not known to the table until DDL."""
    kind = Integer() if name == "sitting_id" else _entries.c[name].type
    return bindparam(f"entry_{name}", type_=kind)


_MOVED = _MOVE_HEAD_FROM.returning(_heads.c.chain).cte("moved")
_MOVE_AND_INSERT = (
    insert(_entries)
    .from_select(
        list(_ENTRY_COLUMNS),
        select(_MOVED.c.chain, *(_entry_param(name) for name in _ENTRY_COLUMNS[1:])),
        include_defaults=False,  # every column is given
    )
    .returning(_entries.c.id)
)  # a row back: inserted (rowcount is not kept beside a CTE's RETURNING)


@dataclass(frozen=True)
class Head:
    """A chain's last entry as a caller read it (hot paths read it with the attempt's row)."""

    seq: int
    hash: str


def append(
    db: Work,
    chain: str,
    sitting_id: int | None,
    at: datetime,
    actor: str,
    event: str,
    data: dict[str, Any],
    *,
    head: Head | None = None,
) -> str:
    """Add an event at the end of its chain (the head's row lock orders concurrent appends);
    returns the new entry's hash. This runs on every autosave. `head`: the chain's head as the
    caller read it, saving the locking read when no other append came between (checked: the
    head moves only from that seq and hash; else the append reads the head under its lock after
    all). In a Session, the head each append leaves is known to the next one on its chain (see
    `remember`): a first sign-in's two entries cost two round trips, not six."""
    db.flush()  # what the ORM would autoflush: a chain opened but not yet written, say
    connection = db.connection()
    known = _known(db)
    if head is None and known is not None:
        head = known.get(chain)
    entry = (sitting_id, at, actor, event, data)
    after = None if head is None else _move_from(connection, chain, head, *entry)
    if after is None:  # no head given, or it had moved on: read it under its lock
        found = connection.execute(_LOCK_HEAD, {"chain": chain}).first()
        if found is None:
            open_chain(db, chain, sitting_id)
        locked = Head(0, GENESIS) if found is None else Head(found.seq, found.hash)
        after = _move_from(connection, chain, locked, *entry)
        assert after is not None  # the head's row is locked until commit
    if known is not None:
        known[chain] = after
    return after.hash


def _move_from(
    connection: Connection,
    chain: str,
    head: Head,
    sitting_id: int | None,
    at: datetime,
    actor: str,
    event: str,
    data: dict[str, Any],
) -> Head | None:
    """The entry after `head`, and the head moved to it, only if the head is still `head`:
    the new head, or None (nothing written) when it had moved on."""
    seq, prev = head.seq + 1, head.hash
    entry_hash = digest(chain, seq, at, actor, event, data, prev)
    moved = {"head": chain, "seq": seq, "hash": entry_hash, "prev_seq": head.seq, "prev_hash": prev}
    if connection.dialect.name == "postgresql":
        entry = (seq, sitting_id, at, actor, event, data, prev, entry_hash)
        values = {**moved, **dict(zip(_ENTRY_PARAMS, entry, strict=True))}
        if connection.execute(_MOVE_AND_INSERT, values).first() is None:
            return None
    elif connection.execute(_MOVE_HEAD_FROM, moved).rowcount:
        _insert(connection, chain, seq, sitting_id, at, actor, event, data, prev, entry_hash)
    else:
        return None
    return Head(seq, entry_hash)


_KNOWN_HEADS = "journal.heads"  # Session.info's key: chain -> the head its last append left


def _known(db: Work) -> dict[str, Head] | None:
    """The heads this Session's appends left (a bare connection keeps none: one append each)."""
    if isinstance(db, Session):
        known: dict[str, Head] = db.info.setdefault(_KNOWN_HEADS, {})
        return known
    return None


def remember(db: Work, chain: str, head: Head | None) -> None:
    """A chain's head as the caller read it in this transaction (with the row it belongs to,
    locked), for the Session's next append on it to start from."""
    known = _known(db)
    if known is not None and head is not None:
        known[chain] = head


# PostgreSQL: a write and its entry in ONE statement: `written` is the caller's UPDATE of one
# row (RETURNING it), the head moves from the seq the caller read only if that UPDATE changed a
# row, and the entry goes in only if the head moved. A round trip fewer on every save and flag.
# The move's parameters are named apart from the write's ("seq" is both an answer's and the
# head's). Built once per write statement.
_after: dict[Update, Select[Any]] = {}
_HEAD_MOVE = (
    update(_heads)
    .where(
        _heads.c.chain == bindparam("move_head"),
        _heads.c.seq == bindparam("move_prev_seq"),
        _heads.c.hash == bindparam("move_prev_hash"),
    )
    .values(seq=bindparam("move_seq"), hash=bindparam("move_hash"))
)


def _after_statement(write: Update) -> Select[Any]:
    built = _after.get(write)
    if built is not None:
        return built
    written = write.returning(literal_column("1").label("one")).cte("written")
    moved = _HEAD_MOVE.where(exists(select(written.c.one))).returning(_heads.c.chain).cte("moved")
    inserted = (
        insert(_entries)
        .from_select(
            list(_ENTRY_COLUMNS),
            select(moved.c.chain, *(_entry_param(name) for name in _ENTRY_COLUMNS[1:])),
        )
        .returning(_entries.c.id)
        .cte("inserted")
    )
    statement: Select[Any] = select(
        select(func.count()).select_from(written).scalar_subquery().label("written"),
        select(func.count()).select_from(inserted).scalar_subquery().label("entered"),
    )
    _after[write] = statement
    return statement


@dataclass(frozen=True)
class Entry:
    """An event to append to a chain (append_after's; append takes the same as arguments)."""

    chain: str
    sitting_id: int | None
    at: datetime
    actor: str
    event: str
    data: dict[str, Any]


def append_after(
    db: Work, write: Update, params: dict[str, Any], entry: Entry, *, head: Head | None
) -> bool:
    """Run `write` (an UPDATE of at most one row, built once) and, if it changed a row, append
    `entry` to its chain: True then; False, and nothing journalled, when it changed nothing.
    On PostgreSQL with the head the caller read, one statement; else, or when the head had
    moved on meanwhile, the write and then `append`."""
    connection = db.connection()
    if head is None or connection.dialect.name != "postgresql":
        if not connection.execute(write, params).rowcount:
            return False
        append(db, *_arguments(entry), head=head)
        return True
    db.flush()  # as append: anything pending goes first
    seq, prev = head.seq + 1, head.hash
    entry_hash = digest(entry.chain, seq, entry.at, entry.actor, entry.event, entry.data, prev)
    row = (seq, entry.sitting_id, entry.at, entry.actor, entry.event, entry.data, prev, entry_hash)
    values = {
        **params,
        "move_head": entry.chain,
        "move_prev_seq": head.seq,
        "move_prev_hash": head.hash,
        "move_seq": seq,
        "move_hash": entry_hash,
        **dict(zip(_ENTRY_PARAMS, row, strict=True)),
    }
    written, entered = connection.execute(_after_statement(write), values).one()
    if written and not entered:  # another append came between: the locking path
        append(db, *_arguments(entry))
    elif entered:
        remember(db, entry.chain, Head(seq, entry_hash))
    return bool(written)


def _arguments(entry: Entry) -> tuple[str, int | None, datetime, str, str, dict[str, Any]]:
    return entry.chain, entry.sitting_id, entry.at, entry.actor, entry.event, entry.data


def _insert(
    connection: Connection,
    chain: str,
    seq: int,
    sitting_id: int | None,
    at: datetime,
    actor: str,
    event: str,
    data: dict[str, Any],
    prev: str,
    entry_hash: str,
) -> None:
    entry = {"chain": chain, "seq": seq, "sitting_id": sitting_id, "at": at, "actor": actor}
    values = {**entry, "event": event, "data": data, "prev_hash": prev, "hash": entry_hash}
    connection.execute(_INSERT_ENTRY, values)


def entries(db: Session, sitting_id: int) -> list[JournalEntry]:
    """A sitting's whole journal, in the order things happened."""
    query = select(JournalEntry).where(JournalEntry.sitting_id == sitting_id)
    return list(db.scalars(query.order_by(JournalEntry.at, JournalEntry.id)))


def chain_entries(db: Session, chain: str) -> list[JournalEntry]:
    """One chain's entries in order (a unit's, say, which belongs to no sitting)."""
    query = select(JournalEntry).where(JournalEntry.chain == chain)
    return list(db.scalars(query.order_by(JournalEntry.seq)))


@dataclass(frozen=True)
class Breach:
    chain: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq}: {self.problem}"


def verify(db: Session, sitting_id: int | None = None) -> tuple[int, list[Breach]]:
    """Check every chain (or one sitting's): returns the entries checked and what is wrong."""
    heads_query = select(JournalHead)
    entries_query = select(JournalEntry)
    if sitting_id is not None:
        heads_query = heads_query.where(JournalHead.sitting_id == sitting_id)
        entries_query = entries_query.where(JournalEntry.sitting_id == sitting_id)
    by_chain: dict[str, list[JournalEntry]] = {}
    for entry in db.scalars(entries_query.order_by(JournalEntry.chain, JournalEntry.seq)):
        by_chain.setdefault(entry.chain, []).append(entry)
    heads = {h.chain: h for h in db.scalars(heads_query)}
    breaches: list[Breach] = []
    for chain in sorted(set(by_chain) | set(heads)):
        breaches.extend(_verify_chain(chain, by_chain.get(chain, []), heads.get(chain)))
    return sum(len(v) for v in by_chain.values()), breaches


def _verify_chain(
    chain: str, chain_entries: list[JournalEntry], head: JournalHead | None
) -> Iterable[Breach]:
    prev, expected_seq = GENESIS, 1
    for entry in chain_entries:
        if entry.seq != expected_seq:
            yield Breach(chain, expected_seq, f"entry missing (next found is #{entry.seq})")
        if entry.prev_hash != prev:
            yield Breach(chain, entry.seq, "does not follow the entry before it")
        if (
            digest(
                chain, entry.seq, entry.at, entry.actor, entry.event, entry.data, entry.prev_hash
            )
            != entry.hash
        ):
            yield Breach(chain, entry.seq, "content does not match its hash (edited)")
        prev, expected_seq = entry.hash, entry.seq + 1
    if head is None:
        yield Breach(chain, expected_seq - 1, "the chain has no head record")
    elif (head.seq, head.hash) != (expected_seq - 1, prev):
        yield Breach(
            chain, head.seq, f"the chain ends at #{expected_seq - 1}, but its head says #{head.seq}"
        )


def answers_at(chain_entries: Iterable[JournalEntry], moment: datetime) -> dict[int, str | None]:
    """An attempt's answers as they stood at a moment, replayed from its journal alone."""
    answers: dict[int, str | None] = {}
    for entry in sorted(chain_entries, key=lambda e: e.seq):
        if entry.at > moment:
            break
        if entry.event == "answer_saved":
            answers[int(entry.data["position"])] = entry.data["option_id"]
    return answers

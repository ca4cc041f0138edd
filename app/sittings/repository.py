"""Queries for sittings and attempts. Candidate queries take the attempt id from the signed
cookie; invigilator queries take the centre from the staff session."""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    Table,
    Update,
    and_,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.auth import throttle
from app.banks.models import ItemMedia, ItemVersion
from app.candidates.models import Candidate
from app.db import UTCDateTime, Work
from app.journal import service as journal
from app.journal.models import JournalHead
from app.journal.service import Head
from app.qualifications.models import Unit
from app.sittings.models import Attempt, AttemptClock, PaperItem, ServiceBeat, Sitting
from app.sittings.status import AttemptStatus, SittingStatus


def lock_attempt(db: Session, attempt_id: int) -> Attempt | None:
    """The attempt, row-locked until commit (PostgreSQL; SQLite write transactions are serial).

    populate_existing: an attempt this session read before the lock is refreshed from the
    locked row, so a rule never decides on what another transaction has since changed."""
    query = select(Attempt).where(Attempt.id == attempt_id).with_for_update()
    return db.scalar(query.execution_options(populate_existing=True))


def lock_attempts(
    db: Session, *where: ColumnElement[bool], limit: int | None = None, skip_locked: bool = False
) -> list[Attempt]:
    """Every attempt matching, row-locked in id order before any is changed.

    An action over many attempts must hold them all before it writes anything else: submitting
    takes the results counter, and a candidate submitting at that moment holds their attempt
    and waits for the same counter (a deadlock, if the attempts were locked one by one).
    `limit` and `skip_locked` are the sweeper's: a bounded batch, passing over any attempt a
    request holds at this moment (a late save, a submit) instead of queueing behind it."""
    query = select(Attempt).where(*where).order_by(Attempt.id).limit(limit)
    query = query.with_for_update(skip_locked=skip_locked)
    return list(db.scalars(query.execution_options(populate_existing=True)))


def lock_attempts_of(db: Session, sitting_id: int) -> list[Attempt]:
    return lock_attempts(db, Attempt.sitting_id == sitting_id)


def attempt(db: Session, attempt_id: int) -> Attempt | None:
    return db.get(Attempt, attempt_id)


def paper(db: Session, attempt_id: int) -> list[PaperItem]:
    return list(
        db.scalars(
            select(PaperItem).where(PaperItem.attempt_id == attempt_id).order_by(PaperItem.position)
        )
    )


def paper_with_versions(db: Session, attempt_id: int) -> list[tuple[PaperItem, ItemVersion]]:
    """One attempt's paper, position by position, with the frozen item versions."""
    rows = db.execute(
        select(PaperItem, ItemVersion)
        .join(ItemVersion, ItemVersion.id == PaperItem.item_version_id)
        .where(PaperItem.attempt_id == attempt_id)
        .order_by(PaperItem.position)
    )
    return [(line, version) for line, version in rows]


def paper_item(db: Session, attempt_id: int, position: int) -> PaperItem | None:
    return db.scalar(
        select(PaperItem).where(PaperItem.attempt_id == attempt_id, PaperItem.position == position)
    )


_lines: Table = PaperItem.__table__  # type: ignore[assignment]
# Built once, Core on the table: this runs on every autosave.
_SAVE = (
    update(_lines)
    .where(_lines.c.id == bindparam("line"), _lines.c.answer_seq < bindparam("seq"))
    .values(answer=bindparam("answer"), answer_seq=bindparam("seq"), answered_at=bindparam("at"))
)


_LINE_TO_SAVE = select(_lines.c.id, _lines.c.option_order).where(
    _lines.c.attempt_id == bindparam("attempt"), _lines.c.position == bindparam("position")
)
_SAVED_AT = select(_lines.c.answered_at).where(_lines.c.id == bindparam("line"))


def line_to_save(db: Session, attempt_id: int, position: int) -> tuple[int, list[str]] | None:
    """(id, option order) of one position of a paper."""
    params = {"attempt": attempt_id, "position": position}
    row = db.connection().execute(_LINE_TO_SAVE, params).first()
    return None if row is None else (row.id, row.option_order)


def saved_at(db: Work, line_id: int) -> datetime | None:
    return db.connection().execute(_SAVED_AT, {"line": line_id}).scalar()


@dataclass(frozen=True)
class Noted:
    """Where a line's change is journalled: the attempt's chain, as its row was read."""

    attempt_id: int
    sitting_id: int
    head: Head | None


def save_answer(
    db: Work,
    line_id: int,
    position: int,
    option_id: str | None,
    seq: int,
    now: datetime,
    noted: Noted,
) -> bool:
    """Store the answer only if seq is newer than the stored one, journalled (on PostgreSQL in
    the same statement); True when it was applied, False (nothing written) for an older seq."""
    params = {"line": line_id, "seq": seq, "answer": option_id, "at": now}
    data = {"position": position, "option_id": option_id, "seq": seq}
    return _noted(db, _SAVE, params, noted, now, "answer_saved", data)


def _noted(
    db: Work,
    write: Update,
    params: dict[str, Any],
    noted: Noted,
    now: datetime,
    event: str,
    data: dict[str, Any],
) -> bool:
    chain = journal.attempt_chain(noted.attempt_id)
    entry = journal.Entry(chain, noted.sitting_id, now, "candidate", event, data)
    return journal.append_after(db, write, params, entry, head=noted.head)


# A flag changes only when it differs: `rowcount` says whether it did (one statement).
_FLAG = (
    update(_lines)
    .where(
        _lines.c.attempt_id == bindparam("attempt"),
        _lines.c.position == bindparam("at_position"),
        _lines.c.flagged != bindparam("flag"),
    )
    .values(flagged=bindparam("flag"))
)
_LINE_EXISTS = select(_lines.c.id).where(
    _lines.c.attempt_id == bindparam("attempt"), _lines.c.position == bindparam("at_position")
)


def set_flag(db: Work, position: int, flagged: bool, now: datetime, noted: Noted) -> bool | None:
    """Set one line's flag, journalled (on PostgreSQL in the same statement): True if it
    changed, False if it was so already, None if the paper has no such position."""
    params = {"attempt": noted.attempt_id, "at_position": position, "flag": flagged}
    data = {"position": position, "flagged": flagged}
    if _noted(db, _FLAG, params, noted, now, "flagged", data):
        return True
    return None if db.connection().execute(_LINE_EXISTS, params).first() is None else False


_attempts: Table = Attempt.__table__  # type: ignore[assignment]
_sittings: Table = Sitting.__table__  # type: ignore[assignment]
_candidates: Table = Candidate.__table__  # type: ignore[assignment]
# The heartbeat's one query: the clock and presence columns, no ORM object.
_CLOCK = select(
    _attempts.c.status,
    _attempts.c.allowed_seconds,
    _attempts.c.paused_seconds,
    _attempts.c.started_at,
    _attempts.c.paused_at,
    _attempts.c.deadline_at,
    _attempts.c.last_seen_at,
    _attempts.c.device_hash,
    _attempts.c.page_seen_at,
    _attempts.c.admission,
    _attempts.c.admitted_at,
).where(_attempts.c.id == bindparam("attempt"))


@dataclass(frozen=True)
class Running:
    """What an autosave decides on: the clock, the admission, presence (timing.Clocked), and
    the attempt's journal head as it stands under the row's lock (journal.append's hint)."""

    status: str
    allowed_seconds: int
    paused_seconds: int
    started_at: datetime | None
    paused_at: datetime | None
    deadline_at: datetime | None
    last_seen_at: datetime | None
    admission: int
    sitting_id: int
    head: Head | None


@dataclass(frozen=True)
class Saving(Running):
    """An autosave's Running, with the line at the position it saves (None: no such line)."""

    line_id: int | None
    option_order: list[str] | None


@dataclass(frozen=True)
class Returning(Running):
    """What a sign-in on the device that already holds a running paper decides on (see
    service.login_quiet): an autosave's columns, the holder, and the session's status."""

    admitted_at: datetime | None
    device_hash: str | None
    readmitted_at: datetime | None
    sitting_status: str


_heads: Table = JournalHead.__table__  # type: ignore[assignment]
_RUNNING = [name for name in Running.__dataclass_fields__ if name != "head"]


def _locking(
    *extra: ColumnElement[Any],
    line: bool = False,
    sitting: bool = False,
    chain: ColumnElement[str] = bindparam("chain"),
) -> Select[Any]:
    """One statement, built once: an attempt's row locked until commit (PostgreSQL: FOR UPDATE
    OF the attempt alone; SQLite's write transactions are serial), with its journal head and,
    as asked, its line at a position or its session. The caller adds the WHERE."""
    source = _attempts.outerjoin(_heads, _heads.c.chain == chain)
    if line:
        at = and_(_lines.c.attempt_id == _attempts.c.id, _lines.c.position == bindparam("at"))
        source = source.outerjoin(_lines, at)
    if sitting:
        source = source.join(_sittings, _sittings.c.id == _attempts.c.sitting_id)
    head = (_heads.c.seq.label("head_seq"), _heads.c.hash.label("head_hash"))
    return (
        select(*(_attempts.c[name] for name in _RUNNING), *head, *extra)
        .select_from(source)
        .with_for_update(of=_attempts)
    )


_BY_ID = _attempts.c.id == bindparam("attempt")
_LOCK_RUNNING = _locking().where(_BY_ID)
_LOCK_SAVING = _locking(_lines.c.id.label("line_id"), _lines.c.option_order, line=True).where(
    _BY_ID
)
# The sign-in throttle's room key, read with the lookup (throttle.read reads it alone): a right
# code is refused by nothing else (sittings.service._guess_limits).
_ROOM = throttle.beside("room_key")
# A sign-in's lookup: every attempt this candidate's own code opens, latest sitting first,
# locked, with what a returning sign-in decides on. (Codes are personal: one row, as a rule.)
_FOR_LOGIN = (
    _locking(
        _attempts.c.id,
        *(_attempts.c[name] for name in ("admitted_at", "device_hash", "readmitted_at")),
        _sittings.c.status.label("sitting_status"),
        sitting=True,
        chain=literal(journal.ATTEMPT_CHAIN) + cast(_attempts.c.id, String),
    )
    .add_columns(*_ROOM.columns)
    .join(_candidates, _candidates.c.id == _attempts.c.candidate_id)
    .outerjoin(_ROOM.table, _ROOM.on)
    .where(
        func.lower(_candidates.c.candidate_number) == bindparam("number"),
        _attempts.c.access_code == bindparam("code"),
    )
    .order_by(_sittings.c.id.desc())
)


def _values(row: Row[Any]) -> dict[str, Any]:
    values = dict(row._mapping)
    seq, digest = values.pop("head_seq"), values.pop("head_hash")
    return {**values, "head": None if seq is None else Head(seq, digest)}


def _locked(db: Work, query: Select[Any], attempt_id: int, **params: Any) -> dict[str, Any]:
    chain = journal.attempt_chain(attempt_id)
    row = db.connection().execute(query, {"attempt": attempt_id, "chain": chain, **params}).first()
    return {} if row is None else _values(row)


def lock_running(db: Work, attempt_id: int) -> Running | None:
    """The attempt's row locked until commit, read as plain columns, with its journal head."""
    values = _locked(db, _LOCK_RUNNING, attempt_id)
    return Running(**values) if values else None


def lock_saving(db: Work, attempt_id: int, position: int) -> Saving | None:
    """lock_running, and the line an answer at `position` goes to: one statement."""
    values = _locked(db, _LOCK_SAVING, attempt_id, at=position)
    return Saving(**values) if values else None


def clock_state(db: Session, attempt_id: int) -> AttemptClock | None:
    """What the heartbeat needs of one attempt, read without loading the ORM object."""
    row = db.connection().execute(_CLOCK, {"attempt": attempt_id}).first()
    return None if row is None else AttemptClock(**row._mapping)


_units: Table = Unit.__table__  # type: ignore[assignment]
_versions: Table = ItemVersion.__table__  # type: ignore[assignment]
_PAPER_HEAD = (
    _CLOCK.add_columns(
        _attempts.c.break_started_at,
        _attempts.c.reading_until,
        _candidates.c.rest_breaks,
        _units.c.urn,
        _units.c.title,
    )
    .join_from(_attempts, _sittings, _sittings.c.id == _attempts.c.sitting_id)
    .join(_units, _units.c.id == _sittings.c.unit_id)
    .join(_candidates, _candidates.c.id == _attempts.c.candidate_id)
)
_PAPER_LINES = (
    select(
        _lines.c.position,
        _lines.c.option_order,
        _lines.c.answer,
        _lines.c.flagged,
        _lines.c.answered_at,
        _lines.c.answer_seq,
        _versions.c.id.label("version_id"),
        _versions.c.content_hash,
    )
    .join_from(_lines, _versions, _versions.c.id == _lines.c.item_version_id)
    .where(_lines.c.attempt_id == bindparam("attempt"))
    .order_by(_lines.c.position)
)
_VERSION_TEXTS = select(
    _versions.c.id,
    _versions.c.content_hash,
    _versions.c.stem,
    _versions.c.options,
    _versions.c.stem_html,
    _versions.c.images,
).where(_versions.c.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class VersionText:
    """What a candidate is shown of an item version (never its key): immutable, so cached."""

    stem: str
    texts: dict[str, str]  # option id -> text
    stem_html: str | None
    images: tuple[tuple[str, str], ...]  # (sha256, alt)


class VersionTexts:
    """Item versions' texts by (id, content hash), per engine: a version never changes (an edit
    makes a new one), and the hash covers its content, so a database rebuilt under the same
    engine with other items under the same ids is never served from here. Bounded: cleared
    when it reaches `limit` versions (a bank is a few thousand)."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self.by_engine: weakref.WeakKeyDictionary[Any, dict[tuple[int, str], VersionText]] = (
            weakref.WeakKeyDictionary()
        )
        self.lock = threading.Lock()

    def get(self, db: Session, keys: Sequence[tuple[int, str]]) -> dict[int, VersionText]:
        bind = db.get_bind()
        with self.lock:
            cached = self.by_engine.setdefault(bind, {})
            found = {key[0]: cached[key] for key in keys if key in cached}
        missing = [key for key in keys if key[0] not in found]
        if missing:
            rows = db.connection().execute(_VERSION_TEXTS, {"ids": [i for i, _ in missing]})
            fresh = {
                (row.id, row.content_hash): VersionText(
                    row.stem,
                    {o["id"]: o["text"] for o in row.options},
                    row.stem_html,
                    tuple((i["sha256"], i["alt"]) for i in row.images or ()),
                )
                for row in rows
            }
            with self.lock:
                if len(cached) + len(fresh) > self.limit:
                    cached.clear()
                cached.update(fresh)
            found.update({i: text for (i, _), text in fresh.items()})
        return found


VERSION_TEXTS = VersionTexts()


@dataclass(frozen=True)
class PaperLine:
    position: int
    option_order: list[str]
    answer: str | None
    flagged: bool
    answered_at: datetime | None
    answer_seq: int
    text: VersionText


@dataclass(frozen=True)
class PaperHead:
    """What the paper's page needs besides its lines: the clock, breaks and reading time, the
    unit's URN and title."""

    clock: AttemptClock
    break_started_at: datetime | None
    reading_until: datetime | None
    rest_breaks: bool
    urn: str
    title: str


def paper_head(db: Session, attempt_id: int) -> PaperHead | None:
    """The attempt's clock with what its paper shows beside it, in one query."""
    row = db.connection().execute(_PAPER_HEAD, {"attempt": attempt_id}).first()
    if row is None:
        return None
    *state, on_break, reading, rest_breaks, urn, title = row
    return PaperHead(AttemptClock(*state), on_break, reading, bool(rest_breaks), urn, title)


def paper_lines(db: Session, attempt_id: int) -> list[PaperLine]:
    """The paper's lines in order, with each item version's stem and options (never the key):
    one query for the lines; the texts from VERSION_TEXTS, read only for versions not cached."""
    rows = db.connection().execute(_PAPER_LINES, {"attempt": attempt_id}).all()
    texts = VERSION_TEXTS.get(db, list(dict.fromkeys((r.version_id, r.content_hash) for r in rows)))
    return [
        PaperLine(
            r.position,
            r.option_order,
            r.answer,
            r.flagged,
            r.answered_at,
            r.answer_seq,
            texts[r.version_id],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ForLogin:
    """A sign-in's lookup: (attempt id, its state) of each attempt the code opens, latest
    sitting first, and the room's throttle key if it has a row, read in the same statement
    (when the code opens nothing, `keys` is empty: not read)."""

    matches: list[tuple[int, Returning]]
    keys: dict[str, throttle.KeyState]


def for_login(db: Work, candidate_number: str, access_code: str, room_key: str) -> ForLogin:
    """Each attempt this candidate's own code opens, each row locked until commit, and the
    sign-in throttle's state of the room's key: one statement, no ORM objects."""
    params = {"number": candidate_number.lower(), "code": access_code, _ROOM.param: room_key}
    found = ForLogin([], {})
    for row in db.connection().execute(_FOR_LOGIN, params):
        _ROOM.read(row, found.keys, room_key)
        values = _values(row)
        for column in _ROOM.columns:
            values.pop(column.name)
        found.matches.append((values.pop("id"), Returning(**values)))
    return found


def code_in_use(db: Session, code: str) -> bool:
    return (
        db.scalar(
            select(func.count()).where(
                Sitting.access_code == code, Sitting.status != SittingStatus.CLOSED
            )
        )
        != 0
    )


def sitting_at_centre(db: Session, sitting_id: int, centre_id: int) -> Sitting | None:
    return db.scalar(
        select(Sitting).where(Sitting.id == sitting_id, Sitting.centre_id == centre_id)
    )


def sittings_at_centre(db: Session, centre_id: int) -> list[Sitting]:
    return list(
        db.scalars(
            select(Sitting).where(Sitting.centre_id == centre_id).order_by(Sitting.scheduled_start)
        )
    )


def attempts_of(db: Session, sitting_id: int) -> list[tuple[Attempt, Candidate]]:
    rows = db.execute(
        select(Attempt, Candidate)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Attempt.sitting_id == sitting_id)
        .order_by(Candidate.candidate_number)
    )
    return [(a, c) for a, c in rows]


def attempt_in_sitting(db: Session, sitting_id: int, candidate_number: str) -> Attempt | None:
    """One candidate's attempt in a sitting (the caller has checked the sitting's centre)."""
    return db.scalar(
        select(Attempt)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(
            Attempt.sitting_id == sitting_id,
            func.lower(Candidate.candidate_number) == candidate_number.lower(),
        )
    )


def answered_counts(db: Session, sitting_id: int) -> dict[int, tuple[int, int]]:
    rows = db.execute(
        select(PaperItem.attempt_id, func.count(PaperItem.answer), func.count())
        .join(Attempt, Attempt.id == PaperItem.attempt_id)
        .where(Attempt.sitting_id == sitting_id)
        .group_by(PaperItem.attempt_id)
    )
    return {attempt_id: (answered, total) for attempt_id, answered, total in rows}


def expired_before(before: datetime, sitting_id: int | None = None) -> list[ColumnElement[bool]]:
    """The conditions for attempts whose clock ran out before `before` (for lock_attempts)."""
    where = [Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at < before]
    if sitting_id is not None:
        where.append(Attempt.sitting_id == sitting_id)
    return where


def reading_over_before(now: datetime, sitting_id: int | None = None) -> list[ColumnElement[bool]]:
    """The conditions for candidates still on the instructions whose reading time ran out."""
    where = [Attempt.status == AttemptStatus.NOT_STARTED, Attempt.reading_until <= now]
    if sitting_id is not None:
        where.append(Attempt.sitting_id == sitting_id)
    return where


def under_way() -> list[ColumnElement[bool]]:
    return [Attempt.status.in_([AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED])]


def last_beat(db: Session) -> ServiceBeat | None:
    """The service's heartbeat row, locked: one instance at a time reads and moves it."""
    return db.scalar(select(ServiceBeat).where(ServiceBeat.id == 1).with_for_update())


def oldest_overdue(db: Session, before: datetime) -> datetime | None:
    """The earliest deadline among running attempts whose deadline passed before `before`."""
    query = select(func.min(Attempt.deadline_at)).where(
        Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at < before
    )
    value = db.scalar(query)
    if isinstance(value, str):  # SQLite's min() loses the column's type
        return UTCDateTime().process_result_value(datetime.fromisoformat(value), None)
    return value


# Any fixed number, the same in every worker and instance: the key of the sweeper's turn.
SWEEPER_LOCK_KEY = 0x6578616D  # "exam"


def take_sweeper_turn(db: Session) -> bool:
    """Whether this transaction may sweep: on PostgreSQL one worker of all instances at a time
    (a transaction-scoped advisory lock, released at commit, never waited for); SQLite's write
    transactions are serial already."""
    if db.get_bind().dialect.name != "postgresql":
        return True
    query = select(func.pg_try_advisory_xact_lock(SWEEPER_LOCK_KEY))
    return bool(db.scalar(query))


# What the exam page follows: a change in any of these is a room event for that page.
FINGERPRINT = (
    "status",
    "allowed_seconds",
    "paused_seconds",
    "admission",
    "break_started_at",
    "reading_until",
)


@dataclass(frozen=True)
class PageRow:
    """What an open exam page is sent of its attempt (events.state_of): the FINGERPRINT, then
    what its clock is computed from besides."""

    id: int
    status: str
    allowed_seconds: int
    paused_seconds: int
    admission: int
    break_started_at: datetime | None
    reading_until: datetime | None
    started_at: datetime | None
    paused_at: datetime | None
    deadline_at: datetime | None


_PAGE_COLUMNS = [_attempts.c[name] for name in PageRow.__dataclass_fields__]
_PAGE_STATES = select(*_PAGE_COLUMNS)


@dataclass(frozen=True)
class OpeningPage(PageRow):
    """An attempt as its exam page's stream opens (events._open): what the page is sent, and
    what says whether opening it writes (the presence columns, and the admission)."""

    last_seen_at: datetime | None
    device_hash: str | None
    page_seen_at: datetime | None
    admitted_at: datetime | None


_OPENING = select(*(_attempts.c[name] for name in OpeningPage.__dataclass_fields__)).where(
    _attempts.c.id == bindparam("attempt")
)


def opening_page(db: Work, attempt_id: int) -> OpeningPage | None:
    """One narrow read by primary key, no ORM object (see OpeningPage)."""
    row = db.connection().execute(_OPENING, {"attempt": attempt_id}).first()
    return None if row is None else OpeningPage(**row._mapping)


# PostgreSQL takes the ids as one array parameter: a 5,000-id IN list is 5,000 bound
# parameters to render, send and plan each second (bench/room_events.py: 5,000 fingerprints
# cost 40-64 ms of the worker's CPU that way, 18 ms as an array). SQLite takes them as one JSON
# array, read by json_each: an expanding IN list was rendered again every second, and SQLite
# caps a statement's parameters.
_JSON_IDS = func.json_each(bindparam("ids_json", type_=String)).table_valued("value")
# Built once (a statement built per call costs its cache key at every resync).
_PAGE_STATES_BY_IDS = {
    "postgresql": _PAGE_STATES.where(
        _attempts.c.id == any_(bindparam("ids", type_=postgresql.ARRAY(Integer)))
    ),
    "sqlite": _PAGE_STATES.where(_attempts.c.id.in_(select(_JSON_IDS.c.value))),
}


def page_states(db: Session, attempt_ids: list[int]) -> list[PageRow]:
    """Each attempt's PageRow: one narrow query by primary key, the ids one parameter. (Not an
    Attempt: building one for each open page at every resync cost more than the rest of its
    frame.)"""
    connection = db.connection()
    dialect = connection.dialect.name
    ids = {"ids": attempt_ids} if dialect == "postgresql" else {"ids_json": json.dumps(attempt_ids)}
    return [
        PageRow(**row._mapping) for row in connection.execute(_PAGE_STATES_BY_IDS[dialect], ids)
    ]


# What changed since the last poll: attempts.page_seq, which the database's trigger moves in
# the transaction that changes any FINGERPRINT column (migration 3c1e5a7d9b02).
#
# SQLite: one writer at a time, the trigger numbering inside the write, so the numbers grow in
# commit order and a reader that has seen n has seen every change numbered n or less: the rows
# past the last number read are every change since, found by the index whatever the number of
# open pages (usually none). Comparing every open page's fingerprint each second cost the
# worker 1.67 ms a poll at 1,024 pages, this 0.22, a bare SELECT's cost (bench/room_poll.py).
_SEQ = _attempts.c.page_seq
_LAST_SEQ = select(func.coalesce(func.max(_SEQ), 0))
_SINCE = select(*_PAGE_COLUMNS, _SEQ).where(bindparam("since") < _SEQ).order_by(_SEQ)


def last_page_seq(db: Session) -> int:
    """The latest change's number (where a reader of pages_changed_since starts)."""
    return int(db.connection().execute(_LAST_SEQ).scalar_one())


def pages_changed_since(db: Session, since: int) -> tuple[list[PageRow], int]:
    """SQLite only (see above): every attempt whose page state changed after change number
    `since`, whether or not a page of it is open here, and the number to read from next."""
    rows = db.connection().execute(_SINCE, {"since": since}).all()
    return [PageRow(*row[:-1]) for row in rows], (rows[-1][-1] if rows else since)


# PostgreSQL: two transactions take their numbers in one order and may commit in the other, so
# a reader past n may not have seen n - 1 yet; the number of each open page is compared
# instead, in one statement: the pages given as one JSON object {"attempt id": number last
# read}, built once per change to the set of pages (an array parameter of 256 ids and 256
# values cost PostgreSQL's client 0.38 ms a poll to bind, more than the query).
_SEEN = func.json_each_text(cast(bindparam("seen_json", type_=String), postgresql.JSON))
_SEEN_PAGES = _SEEN.table_valued("key", "value")
_CHANGED = select(*_PAGE_COLUMNS, _SEQ).where(
    _attempts.c.id == cast(_SEEN_PAGES.c.key, Integer),
    cast(_SEEN_PAGES.c.value, BigInteger) != _SEQ,
)
NOT_READ = -1  # a page whose number was not read yet: differs from any


def seen_seqs(seqs: dict[int, int]) -> dict[str, Any]:
    """changed_pages' parameter for these pages (attempt id -> the number last read, or
    NOT_READ): built once per change to the set, not once a second."""
    return {"seen_json": json.dumps({str(i): seq for i, seq in seqs.items()})}


def changed_pages(db: Session, seen: dict[str, Any]) -> list[tuple[PageRow, int]]:
    """PostgreSQL: the pages whose number is not the one given (seen_seqs): each one's PageRow
    and its number now. One statement, whatever the number of pages."""
    rows = db.connection().execute(_CHANGED, seen)
    return [(PageRow(*row[:-1]), row[-1]) for row in rows]


def fingerprint(values: object) -> tuple[object, ...]:
    """The FINGERPRINT of an attempt, or of one of page_states' rows (a PageRow)."""
    return tuple(getattr(values, name) for name in FINGERPRINT)


# An open page marks its attempt seen, unless the attempt is over. Plain comparisons: an IN
# list cannot be expanded in an executemany.
_SEEN_ON = (
    Attempt.status != AttemptStatus.SUBMITTED,
    Attempt.status != AttemptStatus.VOIDED,
)
_SEEN_NOW: dict[str, Any] = {"page_seen_at": bindparam("now"), "last_seen_at": bindparam("now")}
# PostgreSQL: one UPDATE joined to the pairs given as two arrays.
_PAIRS = (
    func.unnest(
        bindparam("attempts", type_=postgresql.ARRAY(Integer)),
        bindparam("devices", type_=postgresql.ARRAY(String)),
    )
    .table_valued("attempt", "device")
    .render_derived(name="pages")
)
_MARK_SEEN_JOINED = (
    update(_attempts)
    .where(
        _attempts.c.id == _PAIRS.c.attempt,
        _attempts.c.device_hash == _PAIRS.c.device,
        *_SEEN_ON,
    )
    .values(_SEEN_NOW)
)
# SQLite: the same join, the pairs one JSON array of [attempt, device] (UPDATE ... FROM, SQLite
# 3.33+): one statement, where an executemany cost a parameter set per open page.
_JSON_PAIRS = func.json_each(bindparam("pairs_json", type_=String)).table_valued("value")
_MARK_SEEN_JSON = (
    update(_attempts)
    .where(
        _attempts.c.id == func.json_extract(_JSON_PAIRS.c.value, literal_column("'$[0]'")),
        _attempts.c.device_hash == func.json_extract(_JSON_PAIRS.c.value, literal_column("'$[1]'")),
        *_SEEN_ON,
    )
    .values(_SEEN_NOW)
)


_MARK_SEEN = (
    update(_attempts)
    .where(_attempts.c.id == bindparam("attempt"))
    .values(last_seen_at=bindparam("now"))
)


def mark_seen(db: Work, attempt_id: int, now: datetime) -> None:
    """The candidate was seen now (service.seen's write, on an attempt locked by the caller)."""
    db.connection().execute(_MARK_SEEN, {"attempt": attempt_id, "now": now})


def mark_pages_seen(db: Work, pairs: list[tuple[int, str]], now: datetime) -> None:
    """The exam pages of these (attempt, device) pairs are open now: one statement for all,
    built once (the room's loop runs it every PRESENCE_SECONDS)."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        attempts, devices = [a for a, _ in pairs], [d for _, d in pairs]
        connection.execute(
            _MARK_SEEN_JOINED, {"attempts": attempts, "devices": devices, "now": now}
        )
        return
    connection.execute(_MARK_SEEN_JSON, {"pairs_json": json.dumps(pairs), "now": now})


def paper_picture(db: Session, attempt_id: int, sha256: str) -> tuple[str, bytes] | None:
    """A picture shown by an item version on this attempt's paper, and only then."""
    versions = db.scalars(
        select(ItemVersion.images)
        .join(PaperItem, PaperItem.item_version_id == ItemVersion.id)
        .where(PaperItem.attempt_id == attempt_id, ItemVersion.images.is_not(None))
    )
    if not any(image["sha256"] == sha256 for images in versions for image in images or ()):
        return None
    media = db.get(ItemMedia, sha256)
    return None if media is None else (media.content_type, media.data)


def sitting(db: Session, sitting_id: int) -> Sitting | None:
    return db.get(Sitting, sitting_id)


def search_sittings(
    db: Session,
    *,
    centre_id: int | None,
    unit_id: int | None,
    status: str | None,
    start_from: datetime | None,
    start_to: datetime | None,
    limit: int,
) -> list[tuple[Sitting, str, str, str, dict[str, int]]]:
    """Sittings by scheduled start (latest first), each with its centre's code, its unit's URN
    and title, and how many of its attempts are in each status."""
    from app.centres.models import Centre
    from app.qualifications.models import Unit

    where: list[ColumnElement[bool]] = []
    if centre_id is not None:
        where.append(Sitting.centre_id == centre_id)
    if unit_id is not None:
        where.append(Sitting.unit_id == unit_id)
    if status:
        where.append(Sitting.status == status)
    if start_from is not None:
        where.append(Sitting.scheduled_start >= start_from)
    if start_to is not None:
        where.append(Sitting.scheduled_start < start_to)
    rows = list(
        db.execute(
            select(Sitting, Centre.code, Unit.urn, Unit.title)
            .join(Centre, Centre.id == Sitting.centre_id)
            .join(Unit, Unit.id == Sitting.unit_id)
            .where(*where)
            .order_by(Sitting.scheduled_start.desc(), Sitting.id.desc())
            .limit(limit)
        )
    )
    counts: dict[int, dict[str, int]] = {s.id: {} for s, *_ in rows}
    if counts:
        for sitting_id, state, n in db.execute(
            select(Attempt.sitting_id, Attempt.status, func.count())
            .where(Attempt.sitting_id.in_(counts))
            .group_by(Attempt.sitting_id, Attempt.status)
        ):
            counts[sitting_id][state] = int(n)
    return [(s, code, urn, title, counts[s.id]) for s, code, urn, title in rows]

"""Engine, declarative Base and the per-request unit of work."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, exc
from sqlalchemy.engine import NestedTransaction, RootTransaction, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.clock import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Write requests on SQLite take the write lock at BEGIN: a deferred transaction that reads and
# then writes can fail at once with SQLITE_BUSY instead of waiting its turn.
WRITE = {"examhall_write": True}
# A hint: a write whose loss in a power cut harms nothing (see hint_write).
HINT = {**WRITE, "examhall_hint": True}
_SYNCHRONOUS = "examhall_synchronous"  # the level a SQLite connection was last set to


# One writer at a time per SQLite engine, queued in the process: SQLite admits one writer, and
# a writer that finds the lock taken sleeps in its busy handler (1, 2, 5, ... 100 ms) instead
# of being woken when the lock is free, so under load the lock sat idle between writers. The
# busy timeout still covers writers in other processes (the CLI, another worker).
BUSY_TIMEOUT_SECONDS = 10
_writers: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


@contextmanager
def writer_slot(engine: Engine) -> Iterator[None]:
    """Held around a write transaction: the engine's writer lock on SQLite, nothing elsewhere.
    A plain Lock, not an RLock: a sync dependency's unit of work may begin on one thread and
    end on another. A writer that waits longer than SQLite's own busy timeout goes on without
    it (a transaction nested in another on one thread, say) and meets SQLite's lock instead."""
    lock = _writers.get(engine)
    held = lock is not None and lock.acquire(timeout=BUSY_TIMEOUT_SECONDS)
    try:
        yield
    finally:
        if held:
            assert lock is not None
            lock.release()


def _configure_sqlite(engine: Engine) -> None:
    _writers[engine] = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged answer survives power loss
        cursor.close()
        _record.info[_SYNCHRONOUS] = "FULL"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # Each transaction at its own level, whatever the connection's last one was: a hint's
        # NORMAL (committed to the WAL without an fsync; the next FULL commit's fsync covers
        # it) never outlives its transaction. Set only when it changes (a statement).
        level = "NORMAL" if options.get("examhall_hint") else "FULL"
        if conn.info.get(_SYNCHRONOUS) != level:
            conn.exec_driver_sql(f"PRAGMA synchronous={level}")
            conn.info[_SYNCHRONOUS] = level
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("examhall_write") else "BEGIN")


# Connections a server keeps beyond its request cap: the background sweeper's, and one spare.
POOL_SPARE = 2
# /readyz's own connections, apart from the requests' pool: a readiness check must never wait
# behind the work it reports on (a balancer that cannot get an answer in its check timeout
# takes the server out, and under load every server at once). At most two: one kept, a second
# made only while two checks overlap. A check that waits PROBE_WAIT for one reads as not ready,
# and on PostgreSQL so does one that cannot connect within it (libpq's connect_timeout; no
# server-side statement_timeout, which PgBouncer would refuse as a startup parameter).
PROBE_CONNECTIONS = 2
PROBE_WAIT = 2.0


def make_probe_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {}
    if make_url(url).get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": int(PROBE_WAIT)}
    return make_engine(
        url, pool_size=1, max_overflow=PROBE_CONNECTIONS - 1, pool_timeout=PROBE_WAIT, **kwargs
    )


def make_engine(url: str, *, request_cap: int | None = None, **kwargs: Any) -> Engine:
    """An engine; a server passes its request cap, and its pool then holds a connection for
    every request allowed at once plus the sweeper's: no request waits for a connection, and
    none is opened and closed under load (overflow connections are closed on return)."""
    parsed = make_url(url)
    if request_cap is not None:
        kwargs.setdefault("pool_size", request_cap + POOL_SPARE)
        kwargs.setdefault("max_overflow", 0)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


# A connection that sat in the pool this long is pinged at checkout, and replaced if the
# database dropped it (a restart, a failover, an idle timeout) instead of failing a candidate's
# save. One in steady use is not: SQLAlchemy's pool_pre_ping pinged on every checkout, a round
# trip per request. A connection found dead mid-request invalidates the whole pool, so after a
# restart under load only the requests then in flight fail (503), and every later one
# reconnects.
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "examhall_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)  # None: connected just now
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # the pool replaces it and checks out again
            raise exc.DisconnectionError(
                f"pinged after {PING_AFTER_IDLE_SECONDS:g} s idle"
            ) from error


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


@contextmanager
def transaction(factory: sessionmaker[Session], write: bool = True) -> Iterator[Session]:
    """unit_of_work outside a request: `with transaction(f) as db:` commits when the block is
    left normally, a `return` included. (A `return` inside `for db in unit_of_work(...)` closes
    the generator instead, which rolls the work back.)"""
    yield from unit_of_work(factory, write)


T = TypeVar("T")


class Work(Protocol):
    """What Core-only code needs of a unit of work: its connection, and anything the ORM has
    pending written first. A Session is one; so is `Bare`, the hot paths' quiet case."""

    def connection(self) -> Connection: ...

    def flush(self) -> None: ...


class Bare:
    """A unit of work on a Core connection alone, no ORM Session: what an autosave, a flag or
    a returning candidate's sign-in needs when nothing else is due (see bare_then_full). A
    Session's begin, connection, commit and close were about a fifth of a flag's database
    side (0.64 → 0.50 ms of CPU on PostgreSQL: bench/README.md §1)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def connection(self) -> Connection:
        return self._connection

    def flush(self) -> None:
        """Nothing to write first: no ORM object is ever added to a bare unit of work."""


def bare_then_full(
    factory: sessionmaker[Session],
    quiet: Callable[[Bare], T | None],
    full: Callable[[Session], T],
) -> T:
    """One write transaction, committed before this returns: `quiet` on its bare connection,
    and when that returns None, `full` in a Session that joins the same transaction, so what
    `quiet` locked and read still holds. `quiet` declines before it writes anything: what it
    wrote would be committed with `full`'s work. The quiet case is the usual
    one and opens no Session; `full` settles, notes and refuses. Errors as unit_of_work."""
    from app.errors import AppError  # local, as in _unit_of_work

    bind = factory.kw["bind"]
    with writer_slot(bind), _connection(bind) as (connection, transaction):
        session: Session | None = None
        try:
            result = quiet(Bare(connection))
            if result is None:
                # Joins the transaction and never commits it ("rollback_only"): it is
                # committed below, once, with the quiet case's part.
                session = factory(bind=connection, join_transaction_mode="rollback_only")
                result = full(session)
                session.flush()
        except AppError as exc:
            if exc.commit:
                if session is not None:
                    session.flush()
                transaction.commit()
            else:
                transaction.rollback()
            raise
        except BaseException:
            transaction.rollback()
            raise
        finally:
            if session is not None:
                session.close()
        transaction.commit()
        return result


def bare_read(factory: sessionmaker[Session], read: Callable[[Bare], T]) -> T:
    """`read` on a bare connection in a read transaction (on SQLite a deferred BEGIN: no write
    lock, no wait for a writer), ended before this returns; no ORM Session. `read` must not
    write: its transaction is rolled back."""
    with _connection(factory.kw["bind"], {}) as (connection, transaction):
        try:
            return read(Bare(connection))
        finally:
            transaction.rollback()


@contextmanager
def hint_write(factory: sessionmaker[Session]) -> Iterator[Bare]:
    """A write transaction on a bare connection for a hint: a write whose loss in a power cut
    harms nothing, because it is written again within seconds (the open exam pages' presence).
    Its commit does not wait for the disk (SQLite: synchronous=NORMAL, the WAL written but not
    fsynced; PostgreSQL: synchronous_commit off, the WAL flushed within a moment): each second's
    presence on SQLite cost an fsync. Every other transaction waits for the disk as before;
    committed when the block is left normally, rolled back otherwise."""
    bind = factory.kw["bind"]
    with writer_slot(bind), _connection(bind, HINT) as (connection, transaction):
        try:
            # Not in a savepoint of a transaction open around it (the tests'): SET LOCAL would
            # last until the outer transaction's end, and so apply to its commit.
            if connection.dialect.name == "postgresql" and not isinstance(bind, Connection):
                connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            yield Bare(connection)
        except BaseException:
            transaction.rollback()
            raise
        transaction.commit()


@contextmanager
def _connection(
    bind: Engine | Connection, options: dict[str, bool] = WRITE
) -> Iterator[tuple[Connection, RootTransaction | NestedTransaction]]:
    if isinstance(bind, Connection):  # bound to an open transaction (the tests'): a savepoint
        yield bind, bind.begin_nested()
        return
    with bind.connect().execution_options(**options) as connection:
        yield connection, connection.begin()


def read_then_write(
    factory: sessionmaker[Session],
    read: Callable[[Session], T | None],
    write: Callable[[Session], T],
) -> T:
    """For a request that usually only reads: `read` runs in a read transaction (on SQLite a
    deferred BEGIN: it takes no write lock and waits for no writer) and returns None when
    something must be written after all; then `write` runs, from the start, in a write
    transaction. `read` must not change anything."""
    with transaction(factory, write=False) as db:
        result = read(db)
    if result is not None:
        return result
    with transaction(factory) as db:
        return write(db)


def unit_of_work(factory: sessionmaker[Session], write: bool) -> Iterator[Session]:
    """One request, one transaction: committed here and nowhere else. On SQLite a write
    waits its turn in the process first (writer_slot)."""
    slot = writer_slot(factory.kw["bind"]) if write else nullcontext()
    with slot:
        yield from _unit_of_work(factory, write)


def _unit_of_work(factory: sessionmaker[Session], write: bool) -> Iterator[Session]:
    from app.errors import AppError  # local: errors imports nothing from here, keep it so

    session = factory()
    if write:
        session.connection(execution_options=WRITE)
    try:
        yield session
    except AppError as exc:
        if exc.commit:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    else:
        session.commit()
    finally:
        session.close()

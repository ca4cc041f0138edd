"""A PostgreSQL connection the database dropped (a restart, a failover, an idle timeout): one
that sat idle is pinged at checkout and replaced; one found dead mid-use fails that use only,
and the pool reconnects everything after it (app.db._ping_when_idle)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, exc, text

from app import db
from app.db import make_engine
from tests.conftest import POSTGRES_URL, missing


@pytest.fixture
def engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        missing("PostgreSQL", "set EXAMHALL_TEST_POSTGRES_URL")
    engine = make_engine(POSTGRES_URL, pool_size=2, max_overflow=0)
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _drop(pid: int) -> None:
    """What a restart does to a pooled connection, done by another session."""
    admin = make_engine(POSTGRES_URL or "", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    admin.dispose()


def test_an_idle_connection_the_database_dropped_is_replaced_at_checkout(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _backend(engine)
    _drop(before)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout counts as idle
    after = _backend(engine)  # no error: the ping found it dead and the pool reconnected
    assert after != before


def test_a_connection_in_steady_use_is_not_pinged_and_fails_once_then_all_reconnect(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    with engine.connect() as one, engine.connect() as two:  # both pooled connections
        pids = [c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (one, two)]
    for pid in pids:
        _drop(pid)
    with pytest.raises(exc.OperationalError) as failed:
        _backend(engine)
    assert failed.value.connection_invalidated  # the pool is invalidated with it
    fresh = {_backend(engine) for _ in range(4)}  # the other dead one is not handed out
    assert fresh.isdisjoint(pids)

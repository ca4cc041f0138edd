"""app.db.hint_write: a write whose loss in a power cut harms nothing commits without waiting
for the disk, and no other transaction on the same connection ever does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app.db import hint_write, make_engine, make_sessionmaker, transaction
from tests.conftest import postgres_database

# What each database says of a transaction that waits for the disk, and of one that does not.
WAITS = {
    "sqlite": ("PRAGMA synchronous", 2, 1),
    "postgresql": ("SHOW synchronous_commit", "on", "off"),
}


@pytest.fixture
def one_connection(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine whose pool holds a single connection: every transaction below runs on it."""

    def made(url: str) -> Engine:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        return engine

    if backend == "sqlite":
        engine = made(f"sqlite:///{tmp_path / 'h.db'}")
        yield engine
        engine.dispose()
        return
    with postgres_database("hint") as url:
        engine = made(url)
        yield engine
        engine.dispose()


def test_a_hint_does_not_wait_for_the_disk_and_the_next_transaction_does(
    one_connection: Engine,
) -> None:
    factory = make_sessionmaker(one_connection)
    show, durable, hint = WAITS[one_connection.dialect.name]

    def level(db: object) -> object:
        return db.connection().exec_driver_sql(show).scalar()  # type: ignore[attr-defined]

    with transaction(factory) as db:
        assert level(db) == durable
    with hint_write(factory) as work:
        assert level(work) == hint
        work.connection().execute(text("INSERT INTO t VALUES (1)"))
    for write in (True, False, True):  # the same connection, back from the pool
        with transaction(factory, write=write) as db:
            assert level(db) == durable
    with one_connection.connect() as conn:
        assert conn.execute(text("SELECT n FROM t")).scalars().all() == [1]


def test_a_hint_that_fails_writes_nothing(one_connection: Engine) -> None:
    factory = make_sessionmaker(one_connection)
    with pytest.raises(RuntimeError), hint_write(factory) as work:
        work.connection().execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("the presence write failed half way")
    with transaction(factory, write=False) as db:
        assert db.execute(text("SELECT count(*) FROM t")).scalar_one() == 0

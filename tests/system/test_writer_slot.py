"""SQLite's writers wait their turn in the process (app.db.writer_slot), not in SQLite's busy
handler; the slot may be taken on one thread and given back on another."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from app.db import _writers, make_engine, make_sessionmaker, unit_of_work, writer_slot


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    return engine


def test_a_second_writer_waits_in_the_process_until_the_first_commits(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    factory = make_sessionmaker(engine)
    inside, release, order = threading.Event(), threading.Event(), []

    def first() -> None:
        for db in unit_of_work(factory, write=True):
            db.execute(text("INSERT INTO t VALUES (1)"))
            inside.set()
            release.wait(10)
            order.append("first commits")

    def second() -> None:
        for db in unit_of_work(factory, write=True):
            order.append("second begins")
            db.execute(text("INSERT INTO t VALUES (2)"))

    a = threading.Thread(target=first)
    a.start()
    assert inside.wait(10)
    b = threading.Thread(target=second)
    b.start()
    b.join(0.3)
    assert b.is_alive() and order == []  # waiting for the slot, not failing or running
    release.set()
    a.join(10)
    b.join(10)
    assert order == ["first commits", "second begins"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    engine.dispose()


def test_the_slot_can_be_given_back_by_another_thread(tmp_path: Path) -> None:
    """A sync dependency's unit of work (app.deps.get_db) is entered on one of the thread
    pool's threads and may be closed on another."""
    engine = _engine(tmp_path)
    work = unit_of_work(make_sessionmaker(engine), write=True)
    opened = threading.Thread(target=lambda: next(work).execute(text("INSERT INTO t VALUES (1)")))
    opened.start()
    opened.join(10)
    assert _writers[engine].locked()
    closed = threading.Thread(target=lambda: next(work, None))  # commits and gives it back
    closed.start()
    closed.join(10)
    assert not _writers[engine].locked()  # given back by the thread that closed the work
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
    engine.dispose()


def test_other_databases_have_no_slot(tmp_path: Path) -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected
    with writer_slot(engine), writer_slot(engine):  # nothing held: nested is fine
        pass

"""The room loop's one-second poll, in process: what one poll over N open pages costs the
worker's CPU when nothing changed (the usual second), against a bare `SELECT 1` in the same
kind of read transaction (the poll's fixed cost: a checkout, BEGIN, a round trip, the end).
The poll is the feed the loop uses on that database (app/sittings/events.py): on SQLite the
changes past the last number read, on PostgreSQL each open page's number compared.

    .venv/bin/python bench/room_poll.py                        # SQLite
    EXAMHALL_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/examhall_x \\
        .venv/bin/python bench/room_poll.py --postgres

Each figure is the median over 5 rounds of 100 polls of this process's CPU time (not the
database server's). The pages are real attempts, built by the real scheduling service.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from _common import database, seed, table, workspace


def _cpu_ms(poll: Callable[[], object], rounds: int = 5, each: int = 100) -> float:
    poll()  # warm: statements compiled, connection open
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(each):
            poll()
        samples.append((time.process_time() - started) / each * 1000)
    return statistics.median(samples)


def measure(url: str, work: Path, pages: int) -> list[tuple[str, float]]:
    from sqlalchemy import select, text

    from app.db import make_engine, make_sessionmaker, transaction
    from app.sittings import events
    from app.sittings.models import Attempt

    seed(url, work, units=["F/503/0358"], candidates=pages, sessions=max(1, pages // 64))
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    # The feed the room's loop uses on this database (events.Cursor on SQLite, events.Compare
    # on PostgreSQL), every attempt an open page, each read once already.
    feed = events.Compare() if engine.dialect.name == "postgresql" else events.Cursor()
    with transaction(factory, write=False) as db:
        ids = list(db.scalars(select(Attempt.id)))
    for attempt_id in ids:
        feed.add(attempt_id)
    for _ in range(2):
        with transaction(factory, write=False) as db:
            _, done = feed.changed(db)
        done()

    def poll() -> None:
        with transaction(factory, write=False) as db:
            rows, done = feed.changed(db)
        done()
        assert rows == []

    def bare() -> None:
        with transaction(factory, write=False) as db:
            db.connection().execute(text("SELECT 1")).all()

    name = f"poll ({type(feed).__name__}), {len(ids):,} pages, none changed"
    return [(name, _cpu_ms(poll)), ("SELECT 1", _cpu_ms(bare))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--pages", type=int, nargs="+", default=[256, 2000])
    args = parser.parse_args()
    rows = []
    for pages in args.pages:
        with workspace() as work, database(work, args.postgres) as url:
            figures = measure(url, work, pages)
        rows += [(name, f"{ms:.3f}") for name, ms in figures]
    print(table(["", "worker CPU ms per poll"], rows))


if __name__ == "__main__":
    main()

"""The sweeper at a common end time, and a candidate's own submit beside it, in process.

    .venv/bin/python bench/sweep.py                              # SQLite
    EXAMHALL_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/examhall_x \\
        .venv/bin/python bench/sweep.py --postgres

Every result takes the next number of the results feed's counter (app/counters.py: its row
lock orders results by commit, so that a reader of the feed never skips one), and holds that
row until its transaction commits. The sweeper marks a batch of timed-out attempts in one
transaction, so a candidate who submits meanwhile waits for the batch (the national sitting's
early submits at the common end: p99 2.5 s at 10,000 candidates with batches of 200, session
17). For each batch size: `--candidates` + `--submitters` candidates signed in through the real
API, the submitters given extra time, the clock moved past everyone else's end, and the
sweeper started in a thread while the submitters, whose papers are still running, each submit
their own through the API, one after another; reported: the sweep's time and time per
attempt, and the submits' p50 and longest wait. The figures are wall-clock on a
machine doing nothing else: run it quiet, compare batch sizes within one run.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path

from _common import database, seed, table, workspace

UNIT = "F/503/0358"


def measure(url: str, work: Path, candidates: int, submitters: int, batch: int) -> list[object]:
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from app.clock import MovableClock
    from app.config import Settings
    from app.db import make_engine, make_sessionmaker, transaction
    from app.main import create_app
    from app.marking.models import Result
    from app.sittings import sweeper, timing
    from app.sittings.models import Attempt

    seeded = seed(url, work, units=[UNIT], candidates=candidates + submitters, sessions=1)
    engine = make_engine(url)
    settings = Settings(
        env="test",  # type: ignore[arg-type]
        secret_key="bench-" + "s" * 40,  # type: ignore[arg-type]
        database_url=url,
        sweeper=False,
        webhook_worker=False,
    )
    clock = MovableClock()
    app = create_app(settings, clock=clock, engine=engine)
    sitters: list[tuple[TestClient, str]] = []
    for number, code in seeded.candidates():
        client = TestClient(app)
        signed = client.post(
            "/api/v1/auth/candidate", json={"candidate_number": number, "access_code": code}
        )
        assert signed.status_code == 200, signed.text
        sitters.append((client, str(signed.json()["csrf_token"])))
    # The submitters have extra time (an access arrangement, as the invigilator adds it): their
    # papers are still running when everyone else's time is up, so the sweeper never takes
    # them and their own submits wait only for what the sweeper holds in common with them.
    own = sitters[:submitters]
    factory = make_sessionmaker(engine)
    with transaction(factory) as db:
        ids = db.scalars(select(Attempt).order_by(Attempt.id).limit(submitters))
        for attempt in ids:
            timing.add_time(attempt, 6 * 3600)
    clock.advance(hours=3)  # everyone else's time is up (and the grace for saves in flight)
    waits: list[float] = []
    swept: list[tuple[float, int]] = []

    def sweep() -> None:
        started = time.perf_counter()
        count = sweeper.sweep_once(app, batch=batch)
        swept.append((time.perf_counter() - started, count))

    thread = threading.Thread(target=sweep)
    thread.start()
    for client, csrf in own:
        started = time.perf_counter()
        answer = client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 200, answer.text
        waits.append(time.perf_counter() - started)
        if not thread.is_alive():
            break
    thread.join()
    _, count = swept[0]
    with transaction(factory, write=False) as db:
        query = select(Attempt.submitted_by, func.count()).group_by(Attempt.submitted_by)
        by = {str(row[0]): int(row[1]) for row in db.execute(query)}
        results = db.scalar(select(func.count()).select_from(Result))
    engine.dispose()
    # every timed-out paper submitted by the sweeper, every submitter's by the candidate
    assert by.get("timeout") == count and by.get("candidate") == len(waits), by
    assert results == count + len(waits), results
    waits.sort()
    seconds = swept[0][0]
    return [
        batch,
        f"{seconds:.2f}",
        f"{seconds * 1000 / count:.2f}",
        len(waits),
        f"{statistics.median(waits) * 1000:.0f}",
        f"{waits[-1] * 1000:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--candidates", type=int, default=1000, help="timed out together")
    parser.add_argument("--submitters", type=int, default=100, help="submitting their own")
    parser.add_argument("--batches", default="200,25", help="batch sizes to compare")
    args = parser.parse_args()
    rows = []
    for batch in (int(b) for b in args.batches.split(",")):
        with workspace() as work, database(work, args.postgres) as url:
            rows.append(measure(url, work, args.candidates, args.submitters, batch))
    headers = ["batch", "sweep s", "ms an attempt", "own submits", "submit p50 ms", "longest ms"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()

"""Room events at 1,000 and 10,000 candidates: server-sent events with one shared poll per
worker (what examhall does) against every page polling GET /api/v1/attempt/clock every 2 s.

    .venv/bin/python bench/room_events.py              # SQLite
    EXAMHALL_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/examhall_x \\
        .venv/bin/python bench/room_events.py --postgres

Measures, on a database of its own:
  * push: the one query each worker runs every second for all its open pages
    (repository.page_states) and the presence write every 15 s (repository.mark_pages_seen),
    at 1,000 and 10,000 attempts;
  * poll: the server CPU per GET /api/v1/attempt/clock (one uvicorn worker, sequential
    requests from one signed-in candidate), times N/2 requests a second;
  * the memory of an open event stream in the server (300 streams held open).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import (
    drop_postgres,
    fresh_postgres,
    postgres_base_url,
    seed,
    serve,
    sqlite_url,
    table,
    workspace,
)

SIZES = (1000, 10_000)
POLL_EVERY_S = 2.0


def clone_attempts(url: str, total: int) -> list[int]:
    """Grow the one seeded sitting to `total` attempts (candidates and attempts in bulk)."""
    from sqlalchemy import insert, select

    from app.candidates.models import Candidate
    from app.db import make_engine
    from app.sittings.models import Attempt

    engine = make_engine(url)
    with engine.begin() as conn:
        first = conn.execute(select(Attempt).limit(1)).mappings().one()
        centre_id = conn.execute(select(Candidate.centre_id).limit(1)).scalar_one()
        have = conn.execute(select(Attempt.id)).scalars().all()
        more = total - len(have)
        now = datetime.now(UTC)
        conn.execute(
            insert(Candidate),
            [
                {
                    "candidate_number": f"R{n:06d}",
                    "centre_id": centre_id,
                    "first_name": "Room",
                    "last_name": str(n),
                    "extra_time_percent": 0,
                    "rest_breaks": False,
                    "created_at": now,
                }
                for n in range(more)
            ],
        )
        ids = conn.execute(
            select(Candidate.id).where(Candidate.candidate_number.like("R%"))
        ).scalars()
        keep = {k: first[k] for k in ("sitting_id", "seed", "allowed_seconds", "status")}
        conn.execute(
            insert(Attempt),
            [
                {
                    **keep,
                    "candidate_id": cid,
                    "paused_seconds": 0,
                    "started_at": now,
                    "access_code": f"X{cid:09d}",
                }
                for cid in ids
            ],
        )
        all_ids = list(conn.execute(select(Attempt.id)).scalars())
    engine.dispose()
    return all_ids


def time_push(url: str, ids: list[int]) -> tuple[float, float]:
    """(median ms of one poll query, median ms of one presence write) for these attempts."""
    from app.db import make_engine, make_sessionmaker, transaction
    from app.sittings import repository

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    polls, writes = [], []
    for _ in range(15):
        started = time.perf_counter()
        with transaction(factory, write=False) as db:
            rows = repository.page_states(db, ids)
        polls.append(time.perf_counter() - started)
        assert len(rows) == len(ids)
    pairs = [(i, "d" * 64) for i in ids]
    for _ in range(5):
        started = time.perf_counter()
        with transaction(factory) as db:
            repository.mark_pages_seen(db, pairs, datetime.now(UTC))
        writes.append(time.perf_counter() - started)
    engine.dispose()
    return statistics.median(polls) * 1000, statistics.median(writes) * 1000


def personal_code(url: str, number: str) -> str:
    from sqlalchemy import select

    from app.candidates.models import Candidate
    from app.db import make_engine
    from app.sittings.models import Attempt

    engine = make_engine(url)
    with engine.connect() as conn:
        code = conn.execute(
            select(Attempt.access_code)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .where(Candidate.candidate_number == number)
        ).scalar_one()
    engine.dispose()
    return str(code)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def hold_streams(base: str, cookies: dict[str, str], count: int, pid: int) -> float:
    """KiB of server memory per open event stream."""
    import httpx2 as httpx

    before = rss_kib(pid)
    limits = httpx.Limits(max_connections=count + 10)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits, timeout=30) as c:
        streams = []
        for _ in range(count):
            cm = c.stream("GET", "/api/v1/attempt/events")
            response = await cm.__aenter__()
            assert response.status_code == 200, response.status_code
            streams.append(cm)
        await asyncio.sleep(3)
        after = rss_kib(pid)
        for cm in streams:
            await cm.__aexit__(None, None, None)
    return (after - before) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres", action="store_true", help="EXAMHALL_TEST_POSTGRES_URL's server"
    )
    parser.add_argument("--pg-name", default="examhall_bench", help="the database to create")
    parser.add_argument("--requests", type=int, default=300, help="clock requests to time")
    parser.add_argument("--streams", type=int, default=300, help="event streams to hold open")
    args = parser.parse_args()
    base_pg = postgres_base_url()
    if args.postgres and not base_pg:
        raise SystemExit("--postgres needs EXAMHALL_TEST_POSTGRES_URL")
    with workspace() as work:
        url = fresh_postgres(base_pg, args.pg_name) if args.postgres else sqlite_url(work)
        try:
            seeded = seed(url, work, units=["F/503/0358"], candidates=1, sessions=1)
            number = seeded.sessions[0][3][0]
            rows = []
            push = {}
            ids = clone_attempts(url, max(SIZES))
            for size in SIZES:
                push[size] = time_push(url, ids[:size])
            import httpx2 as httpx

            with serve(url, work) as server:
                code = personal_code(url, number)
                client = httpx.Client(base_url=server.base_url, timeout=10)
                login = client.post(
                    "/api/v1/auth/candidate",
                    json={"candidate_number": number, "access_code": code},
                )
                assert login.status_code == 200, login.text
                client.get("/api/v1/attempt/clock")
                cpu0, t0 = server.cpu_seconds(), time.perf_counter()
                for _ in range(args.requests):
                    assert client.get(
                        "/api/v1/attempt/clock", headers={"X-Examhall-Page": "1"}
                    ).is_success
                cpu_per = (server.cpu_seconds() - cpu0) / args.requests
                wall_per = (time.perf_counter() - t0) / args.requests
                per_stream = asyncio.run(
                    hold_streams(
                        server.base_url, dict(client.cookies), args.streams, server.process.pid
                    )
                )
            for size in SIZES:
                poll_ms, write_ms = push[size]
                push_cpu = poll_ms / 1000 + write_ms / 1000 / 15  # per second
                poll_rps = size / POLL_EVERY_S
                rows.append(
                    (
                        f"{size:,}",
                        f"{poll_ms:.1f}",
                        f"{write_ms:.0f}",
                        f"{100 * push_cpu:.1f} %",
                        f"{per_stream * size / 1024:.0f} MiB",
                        f"{poll_rps:,.0f}",
                        f"{100 * poll_rps * cpu_per:,.0f} %",
                    )
                )
        finally:
            if args.postgres:
                drop_postgres(base_pg, args.pg_name)
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}")
    print(
        f"one GET /api/v1/attempt/clock: {1000 * cpu_per:.2f} ms server CPU, "
        f"{1000 * wall_per:.2f} ms wall; one open event stream: {per_stream:.1f} KiB"
    )
    print(
        table(
            (
                "open pages",
                "push: poll ms/s",
                "presence write ms/15 s",
                "push: DB time",
                "push: stream memory",
                "2-s poll: req/s",
                "2-s poll: CPU cores",
            ),
            rows,
        )
    )
    print(
        "push: one query a second and one write every 15 s per worker, however many pages;\n"
        "steady state per candidate: 0 requests besides answers (one open stream).\n"
        "2-s poll: 15 requests per 30 s per candidate (CPU as % of one core)."
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()

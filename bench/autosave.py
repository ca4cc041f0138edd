"""Autosave throughput: PUT /api/v1/attempt/answers/{position} against a bare single-row upsert.

    .venv/bin/python bench/autosave.py

64 connections (one signed-in candidate each, keep-alive, increasing seq) hammer the real
autosave endpoint and, in alternating rounds, the bare route of bench/server.py (the same
UPDATE of one paper_items row with the seq guard, in its own request transaction), both served
by the same one-worker uvicorn process. Prints requests/s, latency percentiles and the ratio
autosave / bare (target >= 0.5), then checks that every acknowledged save is in the database.

SQLite on a temporary file always; PostgreSQL too when EXAMHALL_TEST_POSTGRES_URL is set (the
benchmark creates and drops its own database, examhall_bench, beside that one).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx
from _common import (
    Server,
    describe_errors,
    drop_postgres,
    fresh_postgres,
    postgres_base_url,
    seed,
    serve,
    server_errors,
    shared_ssl_context,
    sqlite_url,
    summary_ms,
    table,
    verdict,
    workspace,
)

UNIT = "F/503/0358"
TARGET_RATIO = 0.5
# Setting up is not measured: sign in a few at a time (64 at once can exhaust the server's
# thread pool while one request holds SQLite's write lock; see bench/README.md).
SIGN_IN_CONCURRENCY = 8


@dataclass
class Line:
    position: int
    paper_item_id: int
    options: list[str]


@dataclass
class User:
    client: httpx.AsyncClient
    csrf: str
    attempt_id: int
    lines: list[Line] = field(default_factory=list)
    seq: int = 0
    turn: int = 0


@dataclass
class Phase:
    kind: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get("200", 0)

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.ok

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0


async def sign_in(base_url: str, number: str, code: str, ssl_ctx: Any, timeout: float) -> User:
    client = httpx.AsyncClient(
        base_url=base_url,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        timeout=httpx.Timeout(timeout),
        verify=ssl_ctx,
    )
    response = await client.post(
        "/api/v1/auth/candidate", json={"candidate_number": number, "access_code": code}
    )
    response.raise_for_status()
    body = response.json()
    user = User(client, body["csrf_token"], body["attempt_id"])
    paper = await client.get("/api/v1/attempt")
    paper.raise_for_status()
    user.lines = [
        Line(q["position"], 0, [o["id"] for o in q["options"]]) for q in paper.json()["items"]
    ]
    return user


def paper_item_ids(url: str, users: list[User]) -> None:
    """The bare route addresses paper_items rows by id: read them from the database."""
    from sqlalchemy import select

    from app.db import make_engine
    from app.sittings.models import PaperItem

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(PaperItem.attempt_id, PaperItem.position, PaperItem.id).where(
                PaperItem.attempt_id.in_([u.attempt_id for u in users])
            )
        )
        ids = {(a, p): i for a, p, i in rows}
    engine.dispose()
    for user in users:
        for line in user.lines:
            line.paper_item_id = ids[(user.attempt_id, line.position)]


async def run_phase(
    kind: str, users: list[User], seconds: float, server: Server, acked: dict[int, int]
) -> Phase:
    phase = Phase(kind)
    end = time.perf_counter() + seconds

    async def loop(user: User) -> None:
        while time.perf_counter() < end:
            line = user.lines[user.turn % len(user.lines)]
            user.turn += 1
            user.seq += 1
            body = {"option_id": line.options[user.seq % len(line.options)], "seq": user.seq}
            if kind == "autosave":
                path = f"/api/v1/attempt/answers/{line.position}"
                headers = {"X-CSRF-Token": user.csrf}
            else:
                path = f"/bench/bare/{line.paper_item_id}"
                headers = {}
            started = time.perf_counter()
            try:
                response = await user.client.put(path, json=body, headers=headers)
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            phase.latencies.append(time.perf_counter() - started)
            phase.statuses[status] += 1
            if status == "200":
                acked[line.paper_item_id] = max(acked.get(line.paper_item_id, -1), user.seq)

    cpu0, wall0, srv0 = time.process_time(), time.perf_counter(), server.cpu_seconds()
    await asyncio.gather(*(loop(u) for u in users))
    phase.elapsed = time.perf_counter() - wall0
    phase.client_cpu = time.process_time() - cpu0
    phase.server_cpu = server.cpu_seconds() - srv0
    return phase


def check_stored(url: str, acked: dict[int, int]) -> tuple[int, int]:
    """(rows checked, rows whose stored seq is below a seq that was acknowledged)."""
    from sqlalchemy import select

    from app.db import make_engine
    from app.sittings.models import PaperItem

    engine = make_engine(url)
    with engine.connect() as conn:
        stored = dict(
            conn.execute(
                select(PaperItem.id, PaperItem.answer_seq).where(PaperItem.id.in_(list(acked)))
            ).all()
        )
    engine.dispose()
    lost = sum(1 for item, seq in acked.items() if stored.get(item, -1) < seq)
    return len(acked), lost


async def bench(
    url: str, server: Server, args: argparse.Namespace, people: list[tuple[str, str]]
) -> tuple[list[Phase], dict[int, int], str]:
    ssl_ctx = shared_ssl_context()
    gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

    async def one(number: str, code: str) -> User:
        async with gate:
            return await sign_in(server.base_url, number, code, ssl_ctx, args.timeout)

    users = list(await asyncio.gather(*(one(n, c) for n, c in people)))
    paper_item_ids(url, users)
    acked: dict[int, int] = {}
    phases: list[Phase] = []
    note = ""
    try:
        warm = []
        if args.warmup > 0:
            warm = [
                await run_phase(kind, users, args.warmup, server, acked)
                for kind in ("autosave", "bare")
            ]
        if any(stalled(p) for p in warm):
            # Both warm-ups ran, so both endpoints show; more rounds would only wait on timeouts.
            phases = warm
            note = "the server stalled during the warm-up: the figures are the warm-up's"
        else:
            for r in range(args.rounds):
                order = ("bare", "autosave") if r % 2 == 0 else ("autosave", "bare")
                for kind in order:
                    phases.append(await run_phase(kind, users, args.duration, server, acked))
                if any(stalled(p) for p in phases):
                    note = f"the server stalled in round {r + 1}: later rounds skipped"
                    break
    finally:
        await asyncio.gather(*(u.client.aclose() for u in users))
    return phases, acked, note


def stalled(phase: Phase) -> bool:
    """Most requests failed or timed out: the server is stuck, not slow."""
    return phase.errors > phase.ok


def report(
    label: str, phases: list[Phase], checked: int, lost: int, errors: Counter[str], note: str
) -> float:
    rows = []
    rates: dict[str, float] = {}
    for kind in ("autosave", "bare"):
        mine = [p for p in phases if p.kind == kind]
        latencies = [x for p in mine for x in p.latencies]
        statuses: Counter[str] = Counter()
        for p in mine:
            statuses.update(p.statuses)
        ok = statuses.get("200", 0)
        elapsed = sum(p.elapsed for p in mine)
        rates[kind] = ok / elapsed if elapsed else 0.0
        s = summary_ms(latencies)
        bad = {k: v for k, v in statuses.items() if k != "200"}
        rows.append(
            [
                kind,
                ok,
                rates[kind],
                s["p50"],
                s["p90"],
                s["p99"],
                s["max"],
                ", ".join(f"{k}x{v}" for k, v in sorted(bad.items())) or "0",
                100 * sum(p.server_cpu for p in mine) / elapsed,
                100 * sum(p.client_cpu for p in mine) / elapsed,
            ]
        )
    print(f"\n== {label} ==")
    print(
        table(
            [
                "endpoint",
                "ok",
                "req/s",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "errors",
                "server CPU%",
                "client CPU%",
            ],
            rows,
        )
    )
    per_round = "  ".join(f"{p.kind} {p.rate:,.0f}" for p in phases)
    print(f"per round (req/s): {per_round}")
    if note:
        print(f"STALLED: {note}")
    ratio = rates["autosave"] / rates["bare"] if rates["bare"] else 0.0
    failed = sum(p.errors for p in phases)
    print(
        f"ratio autosave / bare = {rates['autosave']:,.0f} / {rates['bare']:,.0f} = {ratio:.2f}"
        f"   (target >= {TARGET_RATIO} with no errors)  "
        + (verdict(ratio >= TARGET_RATIO) if not failed else f"FAIL ({failed} failed requests)")
    )
    if failed:
        ratio = float("nan")
    print(
        f"durability: {checked} paper_items rows checked, {lost} with an acknowledged save "
        f"missing  {verdict(lost == 0)}"
    )
    print(describe_errors(errors))
    return ratio


def run_backend(label: str, url: str, args: argparse.Namespace) -> float:
    with workspace(args.keep) as work:
        if url == "sqlite":
            url = sqlite_url(work)
        started = time.perf_counter()
        seeded = seed(url, work, units=[UNIT], candidates=args.connections, sessions=1)
        print(
            f"[{label}] {args.connections} candidates in one open session of {UNIT} "
            f"(set up in {time.perf_counter() - started:.1f} s)"
        )
        with serve(url, work, threads=args.server_threads) as server:
            print(
                f"[{label}] server pid {server.process.pid} on {server.base_url}; "
                f"{args.connections} connections, {args.rounds} x {args.duration:g} s per endpoint "
                f"after {args.warmup:g} s warm-up each"
            )
            phases, acked, note = asyncio.run(bench(url, server, args, seeded.candidates()))
            errors = server_errors(server)
        checked, lost = check_stored(url, acked)
        return report(label, phases, checked, lost, errors, note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per endpoint, alternating")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds, not measured")
    parser.add_argument(
        "--backend",
        choices=("auto", "sqlite", "postgres"),
        default="auto",
        help="auto: SQLite, and PostgreSQL too when EXAMHALL_TEST_POSTGRES_URL is set",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=15.0,
        help="client timeout per request, seconds (above SQLite's 10 s busy timeout)",
    )
    parser.add_argument(
        "--server-threads",
        type=int,
        default=0,
        help="diagnostic: the server's thread pool size (default: anyio's 40)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    pg = postgres_base_url()
    if args.backend == "postgres" and not pg:
        raise SystemExit("--backend postgres needs EXAMHALL_TEST_POSTGRES_URL")
    results = {}
    if args.backend in ("auto", "sqlite"):
        results["SQLite"] = run_backend("SQLite", "sqlite", args)
    if args.backend == "postgres" or (args.backend == "auto" and pg):
        try:
            results["PostgreSQL"] = run_backend("PostgreSQL", fresh_postgres(pg), args)
        finally:
            if not args.keep:
                drop_postgres(pg)
    elif args.backend == "auto":
        print("\n(PostgreSQL skipped: EXAMHALL_TEST_POSTGRES_URL is not set)")
    shown = (f"{v:.2f}" if v == v else "n/a (requests failed)" for v in results.values())
    print(
        f"\nsummary at {args.connections} connections: "
        + "  ".join(f"{k} autosave/bare = {v}" for k, v in zip(results, shown, strict=True))
    )
    if args.strict and not all(v >= TARGET_RATIO for v in results.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""The hot paths against their floor, with wrk: ratios, medians of 3 runs, on both databases.

    .venv/bin/python bench/hotpaths.py                       # SQLite, and PostgreSQL if
    EXAMHALL_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/x \\
        EXAMHALL_BENCH_DB=examhall_bench .venv/bin/python bench/hotpaths.py

Per backend, in ONE run: `examhall serve` (the product as shipped: one worker, uvloop +
httptools, its JSON access log on) and bench/floor.py (a bare FastAPI app doing one write with
the same durability, or one read, or nothing) start side by side on the same fresh database;
256 candidates sign in (1,024 for the page's steady state); then, --runs times, each pair
below is driven by `wrk -t2 -c64` for --duration seconds, floor and product back to back (the
order alternating between runs), with the load average written beside every run. Reported:
the median req/s and p99 of each side over the runs, the ratio of the medians, and verdicts
against the issue's targets:

    product path                        floor
    PUT  /api/v1/attempt/answers/{n}    PUT /floor/answers/{line}   (one UPDATE, committed)
    PUT  /api/v1/attempt/flags/{n}      PUT /floor/answers/{line}
    POST /api/v1/auth/candidate         PUT /floor/answers/{line}
    GET  /api/v1/attempt                GET /floor/paper/{attempt}  (one SELECT of the paper)
    GET  /api/v1/attempt/clock          GET /hello                  (nothing at all)
    an open page's event stream         one GET /hello per 30 s     (CPU per page per 30 s)

Targets: req/s >= 0.5 x floor; p99 <= 2 x floor's p99; no errors (wrk's non-2xx, timeouts).
The heartbeat's replacement is the page's event stream (issue 11): its steady state is judged
against one /hello per 30 s, the page's budget. The clock request is only the fallback of a
page without EventSource; it sends the exam page's header, as the page does, so presence is
written when due (every 20 s a candidate) and read otherwise; its figure is reported, marked
"fallback" when below the target, and does not decide --strict. wrk: Debian's `wrk` package.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
from _common import (
    BENCH,
    Server,
    cpu_seconds_between,
    drop_postgres,
    floor,
    fresh_postgres,
    paper_lines,
    postgres_base_url,
    seed,
    serve,
    server_errors,
    sqlite_url,
    table,
    verdict,
    workspace,
)
from sqlalchemy.pool import NullPool

UNIT = "F/503/0358"
PAIRS = [  # (name, product kind, floor kind)
    ("save", "save", "floor_save"),
    ("flag", "flag", "floor_save"),
    ("sign-in", "login", "floor_save"),
    ("paper load", "attempt", "floor_paper"),
    ("clock", "clock", "hello"),
]
# The heartbeat's replacement (issue 11) is the page's event stream, judged by the page's
# steady state below; the clock request is what a page without EventSource falls back to, so
# its figure is reported beside the rest but is not the heartbeat's verdict.
FALLBACK = {"clock"}
TARGET_RATE, TARGET_P99 = 0.5, 2.0
LUA = BENCH / "wrk" / "hot.lua"


@dataclass
class Shot:
    rate: float
    p99_ms: float
    errors: int
    requests: int
    cpu_ms: float = float("nan")  # the server's CPU (user + system) per request served


@dataclass
class Pair:
    name: str
    product: list[Shot] = field(default_factory=list)
    floor: list[Shot] = field(default_factory=list)


def lua_data(path: Path, people: list[dict[str, object]]) -> None:
    def lua(value: object) -> str:
        if isinstance(value, str):
            return json.dumps(value)  # a JSON string is a valid Lua string here (ASCII)
        if isinstance(value, list):
            return "{" + ",".join(lua(v) for v in value) + "}"
        if isinstance(value, dict):
            return "{" + ",".join(f"{k}={lua(v)}" for k, v in value.items()) + "}"
        return str(value)

    path.write_text("return " + lua(people) + "\n")


def sign_in_all(
    base: str, seeded_people: list[tuple[str, str]], url: str
) -> list[dict[str, object]]:
    people = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for number, code in seeded_people:
            client.cookies.clear()
            r = client.post(
                "/api/v1/auth/candidate", json={"candidate_number": number, "access_code": code}
            )
            r.raise_for_status()
            body = r.json()
            jar = {c.name: c.value for c in client.cookies.jar}
            people.append(
                {
                    "number": number,
                    "code": code,
                    "attempt": body["attempt_id"],
                    "csrf": body["csrf_token"],
                    "cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
                    "device": f"examhall_device={jar['examhall_device']}",
                }
            )
    lines = paper_lines(url)
    for p in people:
        paper = lines[int(str(p["attempt"]))]
        p["npos"] = len(paper)
        p["lines"] = [line_id for line_id, _ in paper]
        p["options"] = [options for _, options in paper]
    return people


# Each wrk run's saves start their seq here: a run sends far fewer than 10^9 requests.
_SEQ_BASES = itertools.count(10**9, 10**9)


def wrk(server: Server, kind: str, data: Path, args: argparse.Namespace) -> Shot:
    """One wrk run against `server`; with the server's own CPU per request, read from /proc
    before and after: unlike req/s, it hardly depends on what else the machine is doing."""
    base = server.base_url
    env = {
        **os.environ,
        "WRK_KIND": kind,
        "WRK_DATA": str(data),
        "WRK_THREADS": str(args.threads),
        # Above every seq an earlier run sent (the floor's included: it writes the same rows),
        # so that every save is applied and journalled, never answered as an older retry.
        "WRK_SEQ_BASE": str(next(_SEQ_BASES)),
        "WRK_DELAY_MS": str(args.delay_ms),
    }
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
    ]
    spy = _profile(server, kind, args)
    cpu_before = server.cpu_seconds()
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    cpu = server.cpu_seconds() - cpu_before
    if spy is not None:
        spy.wait()
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    r = json.loads(line.removeprefix("WRKJSON "))
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    rate = r["requests"] / (r["duration_us"] / 1e6)
    cpu_ms = 1000 * cpu / r["requests"] if r["requests"] else float("nan")
    return Shot(rate, r["p99"] / 1000, errors, r["requests"], cpu_ms)


def _profile(server: Server, kind: str, args: argparse.Namespace) -> subprocess.Popen[bytes] | None:
    """With --profile: py-spy records the product's threads while wrk drives it, one collapsed
    stack file per path and run (`--profile DIR`; `flamegraph.pl` or speedscope read them),
    only the samples in which a thread holds the GIL (--gil: where the interpreter's time
    goes, not where threads wait), py-spy's own messages beside it (.log). Off by default:
    sampling costs the server CPU, so a profiled run's figures are not the benchmark's."""
    if not args.profile or kind.startswith(("floor", "hello")):
        return None
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    out = Path(args.profile) / f"{kind}-{next(_PROFILES)}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [
        spy,
        "record",
        "-p",
        str(server.process.pid),
        "-d",
        str(max(1, args.duration - 1)),
        "-r",
        "100",
        "--threads",
        "--gil",
        "-f",
        "raw",
        "-o",
        str(out),
    ]
    with out.with_suffix(".log").open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


_PROFILES = itertools.count(1)


def _split(server: Server, before: dict[str, int], after: dict[str, int]) -> tuple[float, float]:
    """CPU seconds between two readings: the event loop's (the main thread's) and the rest's
    (the thread pool's: the room loop's poll and presence, requests' work)."""
    main = str(server.process.pid)
    loop = (after.get(main, 0) - before.get(main, 0)) / 1e9
    return loop, cpu_seconds_between(before, after) - loop


async def _hold_streams(
    server: Server, people: list[dict[str, object]], seconds: float
) -> tuple[tuple[float, float], tuple[float, float], int]:
    """Open every candidate's exam-page event stream (GET /api/v1/attempt/events, what the
    page keeps open in its steady state), wait until each has sent its first frame, and read
    them for `seconds`: the server's CPU over that time, the CPU of the same time idle just
    before, and how many frames the pages received."""
    import asyncio

    frames = 0

    async def page(p: dict[str, object], opened: asyncio.Event, stop: asyncio.Event) -> None:
        nonlocal frames
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            (
                "GET /api/v1/attempt/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Cookie: {p['cookie']}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"event stream refused: {head[:60]!r}")
        while not stop.is_set():
            chunk = await reader.read(65536)
            if not chunk:
                break
            frames += chunk.count(b"event: state")
            opened.set()
        writer.close()

    idle_before = server.cpu_ns_by_thread()
    await asyncio.sleep(seconds)
    idle = _split(server, idle_before, server.cpu_ns_by_thread())
    stop = asyncio.Event()
    opened = [asyncio.Event() for _ in people]
    tasks = [asyncio.create_task(page(p, o, stop)) for p, o in zip(people, opened, strict=True)]
    await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), 60)
    await asyncio.sleep(2)  # the opening writes done; the loop in its steady state
    frames, before = 0, server.cpu_ns_by_thread()
    await asyncio.sleep(seconds)
    busy = _split(server, before, server.cpu_ns_by_thread())
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return busy, idle, frames


def page_steady_state(
    server: Server, people: list[dict[str, object]], seconds: float
) -> tuple[float, int]:
    """The server CPU (ms) one open exam page costs per 30 s in its steady state (its event
    stream open, nothing else sent), net of the idle server's own; and the frames received."""
    import asyncio

    busy, idle, frames = asyncio.run(_hold_streams(server, people, seconds))
    print(
        f"  server CPU over {seconds:g} s: streams open {1000 * sum(busy):.0f} ms (event loop"
        f" {1000 * busy[0]:.0f}, threads {1000 * busy[1]:.0f}), idle just before"
        f" {1000 * sum(idle):.0f} ms (event loop {1000 * idle[0]:.0f}, threads"
        f" {1000 * idle[1]:.0f})",
        flush=True,
    )
    net = sum(busy) - sum(idle)
    return 1000 * max(0.0, net) / len(people) * (30 / seconds), frames


def clear_flags(url: str) -> None:
    """Every flag down before a run of flags, so that each of its requests changes one (a run
    that set them as the last had left them would measure a no-op, not a flag)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("UPDATE paper_items SET flagged = false WHERE flagged"))
    engine.dispose()


def backends(url: str) -> str:
    """PostgreSQL: the connections open to the benchmark's database now, and how many were
    ever opened to it (pg_stat_database.sessions): a pool that churns opens new ones."""
    if not url.startswith("postgresql"):
        return ""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        open_now = conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"), {"d": name}
        ).scalar()
        ever = conn.execute(
            text("SELECT sessions FROM pg_stat_database WHERE datname = :d"), {"d": name}
        ).scalar()
    engine.dispose()
    # Minus this connection of ours.
    return f"backends open {int(open_now or 0) - 1}, sessions ever {int(ever or 0)}"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Page:
    """An exam page's steady state: its event stream open (CPU per page per 30 s)."""

    cpu_ms_per_30s: float = float("nan")
    frames: int = 0
    pages: int = 0


def run_backend(
    label: str, url: str, work: Path, args: argparse.Namespace
) -> tuple[list[Pair], Page]:
    pages = args.page_candidates if args.page_seconds > 0 else 0
    seeded = seed(url, work, units=[UNIT], candidates=max(args.candidates, pages), sessions=1)
    pairs = [Pair(name) for name, _, _ in PAIRS if name in args.only]
    with serve(url, work) as product, floor(url, work) as bare:
        everyone = sign_in_all(product.base_url, seeded.candidates(), url)
        people = everyone[: args.candidates]
        data = work / "people.lua"
        lua_data(data, people)
        print(
            f"\n== {label}: product {product.base_url}, floor {bare.base_url}, "
            f"{len(people)} candidates signed in, wrk -t{args.threads} -c{args.connections} "
            f"-d{args.duration}s"
        )
        if url.startswith("postgresql"):
            print(f"PostgreSQL before the runs: {backends(url)}", flush=True)
        for run in range(args.runs):
            print(f"run {run + 1}: load average before {load_average()}", flush=True)
            for pair, (name, kind, floor_kind) in zip(
                pairs, [p for p in PAIRS if p[0] in args.only], strict=True
            ):
                sides = [(bare, floor_kind, pair.floor), (product, kind, pair.product)]
                for server, k, shots in sides if run % 2 == 0 else sides[::-1]:
                    if k == "flag":
                        clear_flags(url)
                    shots.append(wrk(server, k, data, args))
                f, p = pair.floor[-1], pair.product[-1]
                print(
                    f"  {name:<10} product {p.rate:7.0f} req/s p99 {p.p99_ms:7.1f} ms"
                    f" cpu {p.cpu_ms:5.2f} ms err {p.errors}"
                    f"  | floor {f.rate:7.0f} req/s p99 {f.p99_ms:7.1f} ms"
                    f" cpu {f.cpu_ms:5.2f} ms err {f.errors}"
                    f"  | ratio {p.rate / f.rate:.2f}  (load {load_average()})",
                    flush=True,
                )
        if url.startswith("postgresql"):
            print(f"PostgreSQL after the runs: {backends(url)}", flush=True)
        page = Page()
        if args.page_seconds > 0:
            open_pages = everyone[:pages]
            print(f"page: {len(open_pages)} event streams held {args.page_seconds} s", flush=True)
            page.cpu_ms_per_30s, page.frames = page_steady_state(
                product, open_pages, args.page_seconds
            )
            page.pages = len(open_pages)
            print(
                f"  page steady state: {page.cpu_ms_per_30s:.2f} ms CPU per page per 30 s,"
                f" {page.frames} frames (load {load_average()})",
                flush=True,
            )
        problems = server_errors(product)
        if problems:
            print(
                f"server log: {sum(problems.values())} unhandled errors: {problems.most_common(3)}"
            )
    return pairs, page


def report(label: str, pairs: list[Pair], page: Page) -> bool:
    rows, ok_all = [], True
    for pair in pairs:
        pr = statistics.median(s.rate for s in pair.product)
        fr = statistics.median(s.rate for s in pair.floor)
        pp = statistics.median(s.p99_ms for s in pair.product)
        fp = statistics.median(s.p99_ms for s in pair.floor)
        pc = statistics.median(s.cpu_ms for s in pair.product)
        fc = statistics.median(s.cpu_ms for s in pair.floor)
        errors = sum(s.errors for s in pair.product)
        rate_ok, p99_ok = pr / fr >= TARGET_RATE, pp <= TARGET_P99 * fp
        ok = rate_ok and p99_ok and errors == 0
        fallback = pair.name in FALLBACK
        ok_all &= ok or fallback
        rows.append(
            [
                pair.name,
                pr,
                fr,
                f"{pr / fr:.2f}",
                pp,
                fp,
                f"{pp / fp:.2f}",
                pc,
                fc,
                f"{fc / pc:.2f}",
                errors,
                "fallback" if fallback and not ok else verdict(ok),
            ]
        )
    print(f"\n{label}: medians of {len(pairs[0].product)} runs")
    headers = [
        "path",
        "req/s",
        "floor",
        "ratio",
        "p99 ms",
        "floor p99",
        "p99 x",
        "cpu ms/req",
        "floor cpu",
        "cpu ratio",
        "errors",
        "",
    ]
    print(table(headers, rows))
    hello = next((p for p in pairs if p.name == "clock"), None)
    if page.pages and hello:
        # Issue 11's budget for a page: at most one request per 30 s besides its answers.
        # Its floor is one GET /hello per 30 s.
        floor_ms = statistics.median(s.cpu_ms for s in hello.floor)
        ratio = floor_ms / page.cpu_ms_per_30s if page.cpu_ms_per_30s else float("inf")
        ok = ratio >= TARGET_RATE
        ok_all &= ok
        print(
            f"page steady state ({page.pages} open event streams): "
            f"{page.cpu_ms_per_30s:.3f} ms CPU per page per 30 s; the floor, one /hello per"
            f" 30 s: {floor_ms:.3f} ms; ratio {ratio:.2f} {verdict(ok)}"
        )
    return ok_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["auto", "sqlite", "postgres"], default="auto")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--candidates", type=int, default=256)
    parser.add_argument(
        "--only", default=",".join(p[0] for p in PAIRS), help="comma-separated paths to run"
    )
    parser.add_argument(
        "--page-seconds",
        type=float,
        default=100,
        help="how long to hold every candidate's event stream open (0: skip); a multiple of"
        " the page's resync period (EXAMHALL_PAGE_RESYNC_SECONDS, 50 s), or the count of resync"
        " frames in the window decides the figure",
    )
    parser.add_argument(
        "--page-candidates",
        type=int,
        default=1024,
        help="open exam pages for the page's steady state (more pages, a larger signal than the"
        " sweeper's and the machine's noise)",
    )
    parser.add_argument(
        "--delay-ms",
        type=int,
        default=0,
        help="each connection waits this long before each request: the CPU a request costs at"
        " about connections x 1000 / delay requests/s, a sitting's rate, not at saturation"
        " (the req/s ratios then mean nothing; the CPU columns do)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="record each product run with py-spy into DIR, the samples holding the GIL (pip"
        " install py-spy; the figures of a profiled run are not the benchmark's)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    args.only = set(args.only.split(","))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    backends = ["sqlite", "postgres"] if args.backend == "auto" else [args.backend]
    base = postgres_base_url()
    ok = True
    for backend in backends:
        if backend == "postgres" and not base:
            print("PostgreSQL skipped: set EXAMHALL_TEST_POSTGRES_URL")
            continue
        with workspace(args.keep) as work:
            started = time.perf_counter()
            url = sqlite_url(work) if backend == "sqlite" else fresh_postgres(base)
            try:
                pairs, page = run_backend(backend, url, work, args)
            finally:
                if backend == "postgres":
                    drop_postgres(base)
            ok &= report(backend, pairs, page)
            print(f"({time.perf_counter() - started:.0f} s)")
    if args.strict and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Shared by the benchmarks: a database of their own, data set up through the services, a
uvicorn server in a subprocess on 127.0.0.1, and small statistics and tables.

Nothing here touches the developer's examhall.db or the test database: SQLite files live in a
temporary directory, and on PostgreSQL the benchmarks create and drop a database of their own
(``examhall_bench`` by default) next to the one EXAMHALL_TEST_POSTGRES_URL names.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:  # run as `python bench/x.py`: make `app` importable
    sys.path.insert(0, str(ROOT))

QUAL_DIR = ROOT / "question_banks" / "600-8065-6"
# On a shared server, give each user of the benchmarks a database name (and ports) of their own.
BENCH_DB_NAME = os.environ.get("EXAMHALL_BENCH_DB", "examhall_bench")
HOST = "127.0.0.1"


# --- databases ---------------------------------------------------------------------------


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'bench.db'}"


def postgres_base_url() -> str:
    return os.environ.get("EXAMHALL_TEST_POSTGRES_URL", "")


def fresh_postgres(base_url: str, name: str = BENCH_DB_NAME) -> str:
    """(Re)create the benchmark's own database beside the one base_url names; its URL."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from app.db import make_engine

    base = make_url(base_url)
    if base.database == name:
        raise SystemExit(f"refusing: {name} is the database EXAMHALL_TEST_POSTGRES_URL names")
    admin = make_engine(
        base.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            # A database that something is connected to is another run's (or its servers',
            # left running): dropping it WITH (FORCE) would end that run halfway.
            users = conn.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
            if users:
                raise SystemExit(
                    f"refusing: {users} connection(s) to {name}: another benchmark is running on"
                    " it (wait for it, or give this one EXAMHALL_BENCH_DB=<another name>)"
                )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def refuse_busy_ports(ports: Sequence[int]) -> None:
    """Stop before starting anything if a port is taken: HAProxy binds with SO_REUSEPORT, so a
    second run's balancer would share the first's port and the two runs each other's traffic."""
    busy = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not busy
            try:
                probe.bind((HOST, port))
            except OSError:
                busy.append(port)
    if busy:
        raise SystemExit(
            f"refusing: {HOST} port(s) {', '.join(map(str, busy))} in use (another run?); "
            "choose others with --port"
        )


@contextmanager
def database(work: Path, postgres: bool) -> Iterator[str]:
    """A fresh database for one measurement: SQLite in `work`, or (postgres) the benchmark's
    own PostgreSQL database beside EXAMHALL_TEST_POSTGRES_URL's, dropped afterwards."""
    if not postgres:
        yield sqlite_url(work)
        return
    base = postgres_base_url()
    if not base:
        raise SystemExit("set EXAMHALL_TEST_POSTGRES_URL")
    try:
        yield fresh_postgres(base)
    finally:
        drop_postgres(base)


def drop_postgres(base_url: str, name: str = BENCH_DB_NAME) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from app.db import make_engine

    base = make_url(base_url)
    admin = make_engine(
        base.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- data, through the services ----------------------------------------------------------


@dataclass
class Seeded:
    url: str
    token: str
    centre: str
    # one entry per session: (sitting id, unit URN, access code, candidate numbers)
    sessions: list[tuple[int, str, str, list[str]]] = field(default_factory=list)
    # each candidate's personal access code (what they sign in with)
    codes: dict[str, str] = field(default_factory=dict)
    schedule_seconds: list[float] = field(default_factory=list)

    def candidates(self) -> list[tuple[str, str]]:
        """(candidate number, access code) for everyone, session by session."""
        return [(n, self.codes[n]) for _, _, _, numbers in self.sessions for n in numbers]


def unit_file(urn: str) -> Path:
    return QUAL_DIR / "units" / (urn.replace("/", "-") + ".yaml")


def seed(
    url: str,
    workdir: Path,
    *,
    units: Sequence[str],
    candidates: int,
    sessions: int,
    centre: str = "C0001",
    duration_minutes: int | None = None,
) -> Seeded:
    """Migrate, load the units' banks, and open `sessions` sessions at one centre that share
    `candidates` candidates between them, round-robin over `units`; papers built by the
    real scheduling service, sessions opened by the real invigilation service."""
    from app.auth import tokens
    from app.auth.deps import StaffUser
    from app.banks.service import load_dir
    from app.candidates import service as candidate_service
    from app.centres import service as centre_service
    from app.clock import SystemClock
    from app.db import make_engine, make_sessionmaker, unit_of_work
    from app.invigilation import service as invigilation
    from app.migrate import upgrade
    from app.sittings import scheduling

    upgrade(url)
    banks = workdir / "banks" / QUAL_DIR.name
    (banks / "units").mkdir(parents=True, exist_ok=True)
    shutil.copy(QUAL_DIR / "qualification.yaml", banks)
    for urn in dict.fromkeys(units):
        shutil.copy(unit_file(urn), banks / "units")

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    now = SystemClock().now()
    out = Seeded(url, "", centre)
    for db in unit_of_work(factory, write=True):
        load_dir(db, workdir / "banks", now)
        _, out.token = tokens.create_token(db, "bench", [tokens.ADMIN], now)
        centre_row = centre_service.create_centre(db, centre, "Benchmark centre", now)
        invigilator = centre_service.create_invigilator(
            db, centre, "bench", secrets.token_urlsafe(16), now
        )
        for n in range(candidates):
            candidate_service.create_candidate(
                db,
                now,
                candidate_number=f"B{n:05d}",
                centre=centre,
                first_name="Bench",
                last_name=f"Candidate {n}",
            )
        staff = StaffUser(invigilator.id, centre_row.id, centre, "bench")
    numbers = [f"B{n:05d}" for n in range(candidates)]
    groups = [numbers[i::sessions] for i in range(sessions)]
    for i, group in enumerate(groups):
        urn = units[i % len(units)]
        for db in unit_of_work(factory, write=True):  # one transaction per session, like the API
            started = time.perf_counter()
            sitting = scheduling.schedule(
                db,
                now,
                centre=centre,
                unit=urn,
                scheduled_start=now + timedelta(minutes=5),
                candidate_numbers=group,
                duration_minutes=duration_minutes,
            )
            out.schedule_seconds.append(time.perf_counter() - started)
            invigilation.start(db, staff, sitting.id, now)
            out.sessions.append((sitting.id, urn, sitting.access_code, group))
            out.codes.update(scheduling.codes_of(db, sitting))
    engine.dispose()
    return out


def paper_lines(url: str) -> dict[int, list[tuple[int, list[str]]]]:
    """Each attempt's paper as stored: (line id, option ids in the order shown), by position."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT attempt_id, position, id, option_order FROM paper_items ORDER BY 1, 2")
        ).all()
    engine.dispose()
    lines: dict[int, list[tuple[int, list[str]]]] = {}
    for attempt_id, _, line_id, order in rows:
        options = json.loads(order) if isinstance(order, str) else order
        lines.setdefault(attempt_id, []).append((line_id, options))
    return lines


# --- the server under test -----------------------------------------------------------------


_taken: set[int] = set()


def free_port() -> int:
    """A free port on 127.0.0.1: from EXAMHALL_BENCH_PORTS (e.g. 8120-8139) when set."""
    span = os.environ.get("EXAMHALL_BENCH_PORTS", "")
    if span:
        low, high = (int(p) for p in span.split("-"))
        for port in range(low, high + 1):
            if port in _taken:
                continue
            with socket.socket() as s:
                try:
                    s.bind((HOST, port))
                except OSError:
                    continue
            _taken.add(port)
            return port
        raise SystemExit(f"no free port in EXAMHALL_BENCH_PORTS={span}")
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cpu_ns_by_thread(self) -> dict[str, int]:
        """Each live thread's CPU time so far, in nanoseconds (/proc/<pid>/task/*/schedstat):
        /proc's stat counts in clock ticks (10 ms), too coarse for the few hundred ms a
        minute of open pages costs. See `cpu_seconds_between`."""
        found: dict[str, int] = {}
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                found[task.name] = int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue  # the thread ended meanwhile
        return found


def cpu_seconds_between(before: dict[str, int], after: dict[str, int]) -> float:
    """The CPU the threads alive at `after` used since `before` (a thread started since counts
    whole; one that ended since is lost, with at most what it ran after `before`)."""
    return sum(ns - before.get(tid, 0) for tid, ns in after.items()) / 1e9


SERVE = "from app.cli import main; main()"  # `examhall serve`, from this source tree


@contextmanager
def serve(
    url: str,
    workdir: Path,
    *,
    sweeper: bool = True,
    workers: int = 1,
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """The product as shipped: `examhall serve` (uvicorn, uvloop + httptools, its JSON access
    log on, into the log file), production settings, on a free 127.0.0.1 port."""
    port = port or free_port()
    log = workdir / f"server-{port}.log"
    full_env = {
        **os.environ,
        "EXAMHALL_ENV": "production",
        "EXAMHALL_SECRET_KEY": SECRET,
        "EXAMHALL_DATABASE_URL": url,
        "EXAMHALL_SWEEPER": "true" if sweeper else "false",
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    command = [sys.executable, "-c", SERVE, "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=sink, stderr=sink)
    server = Server(process, port, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        stop(process)


@contextmanager
def floor(url: str, workdir: Path) -> Iterator[Server]:
    """bench/floor.py: the bare FastAPI app the hot paths are measured against."""
    port = free_port()
    log = workdir / f"floor-{port}.log"
    env = {**os.environ, "EXAMHALL_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(BENCH / "floor.py"), "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    server = Server(process, port, log)
    try:
        _wait_ready(server, probe="/hello")
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# One secret for every server a benchmark starts: instances behind one balancer must share it.
SECRET = secrets.token_urlsafe(48)


def _wait_ready(server: Server, timeout: float = 120.0, probe: str = "/readyz") -> None:
    import httpx2 as httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"the server exited; see {server.log}:\n{server.log.read_text()}")
        try:
            if httpx.get(server.base_url + probe, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not become ready in {timeout:.0f} s; see {server.log}")


def server_errors(server: Server) -> Counter[str]:
    """The server's unhandled errors (each one a 500), as 'METHOD PATH: exception', counted,
    from its JSON log (app.errors logs each as 'unhandled error on METHOD PATH')."""
    import json

    try:
        lines = server.log.read_text(errors="replace").splitlines()
    except OSError:
        return Counter()
    found: Counter[str] = Counter()
    for line in lines:
        if "unhandled error on " not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            found[line.split("unhandled error on ", 1)[1][:120]] += 1
            continue
        last = (entry.get("exc") or "").strip().splitlines()[-1:] or [""]
        found[f"{entry['msg'].split('unhandled error on ', 1)[1]}: {last[0][:120]}"] += 1
    return found


def describe_errors(errors: Counter[str]) -> str:
    if not errors:
        return "server log: no unhandled errors"
    top = "\n".join(f"  {n:>5} x {e}" for e, n in errors.most_common(5))
    return f"server log: {sum(errors.values())} unhandled errors (500s):\n{top}"


@contextmanager
def workspace(keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="examhall-bench-"))
    try:
        yield path
    finally:
        if keep:
            print(f"(kept {path})")
        else:
            shutil.rmtree(path, ignore_errors=True)


def shared_ssl_context() -> object:
    """httpx builds an SSL context per client unless given one; we talk plain http, but
    building hundreds of contexts costs seconds of client CPU."""
    import ssl

    return ssl.create_default_context()


# --- statistics and tables ---------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (nan when empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    values = sorted(seconds)
    ms = [v * 1000 for v in values]
    return {
        "n": len(values),
        "mean": sum(ms) / len(ms) if ms else float("nan"),
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": ms[-1] if ms else float("nan"),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            if math.isnan(value):
                return "-"
            return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]

    def joined(cells: Sequence[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)

    line = joined(list(headers))
    rule = "  ".join("-" * w for w in widths)
    body = [joined(r) for r in text]
    return "\n".join([line, rule, *body])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"

"""A national sitting on this machine: PostgreSQL, several `examhall serve` instances behind a
real load balancer (HAProxy or nginx), and Locust playing every candidate (locustfile.py).

    EXAMHALL_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/national/run.py --candidates 10000

It builds its own database (EXAMHALL_BENCH_DB, default examhall_national; dropped at the end
unless --keep), opens --sessions sessions of the units below at one centre through the real
services, writes the roster, starts --instances instances (--workers each; every instance runs
its sweeper, and an advisory lock lets one sweep at a time), puts the balancer in front, and
runs Locust headless: arrivals over --ramp seconds, a sitting of --minutes, every candidate's
page traffic, the end for everyone within the ramp of each other. Then it reports, per request
kind and overall, counts, failures and p50/p95/p99 (Locust's), every acknowledged answer checked
against the stored paper, the attempts left unsubmitted, the sweeper's lag, the database's
connections, the CPU each part used (per request, for the capacity planner) and the verdicts:
p99 < 200 ms, 0 errors, 0 lost answers, every attempt submitted.

Ports: --port (the balancer) and the next --instances ports (EXAMHALL_BENCH_PORTS not used).
Needs Debian's haproxy (or nginx-light) and the bench extra (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack, suppress
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _common import (  # noqa: E402
    Server,
    drop_postgres,
    fresh_postgres,
    postgres_base_url,
    refuse_busy_ports,
    seed,
    serve,
    server_errors,
    stop,
    table,
    verdict,
    workspace,
)

UNITS = ["F/503/0358", "K/503/0399", "D/601/7644", "J/503/0393"]
TARGET_P99_MS = 200
# The exam page's steady traffic per candidate (static/js/exam.js, locustfile.py): one open
# event stream (no requests), an answer every 40 s and a flag every 400 s; the commits: every
# answer, and presence for all of a worker's open pages in one statement every 15 s.
REQUESTS_PER_CANDIDATE = 1 / 40 + 1 / 400
UTILISATION = 0.5  # plan cores to run at half load: queues, and so p99, stay short
TRUST_LB = {"EXAMHALL_TRUSTED_PROXIES": "127.0.0.1"}  # X-Forwarded-For from the balancer


def plan(candidates: int, server_cores: float, postgres_cores: float) -> str:
    """What `candidates` need, from the measured cores per candidate sitting (this machine's):
    everything a sitting costs (sign-in, paper, answers, the open stream, the sweeper) counted
    per candidate-second, so the streams' cost is in it though they make no requests."""
    from app.db import POOL_SPARE, PROBE_CONNECTIONS
    from app.limits import default_limit

    cap = default_limit(is_sqlite=False)  # the product's own, as served here
    app_cores = candidates * server_cores / UTILISATION
    db_cores = candidates * postgres_cores / UTILISATION
    workers = max(2, math.ceil(app_cores))
    return (
        f"{candidates:>7,} candidates: {candidates * REQUESTS_PER_CANDIDATE:,.0f} saves/s and"
        f" {candidates:,} open streams; app {app_cores:.1f} cores = {workers} workers (one per"
        f" core, 2+ instances), {workers * (cap + POOL_SPARE + PROBE_CONNECTIONS)} database"
        f" connections; PostgreSQL {db_cores:.1f} cores"
    )


HAPROXY = """global
    maxconn {maxconn}
defaults
    mode http
    option http-keep-alive
    option forwardfor
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout queue 60s
    # A check that times out on a busy server must not take it out at once: under load every
    # server is slow, and then there is none (/readyz itself reports, not fails on, saturation).
    timeout check 5s
    default-server inter 2s fall 5 rise 2
frontend candidates
    bind 127.0.0.1:{port}
    # The exam page's event stream is open for the whole sitting: it must not take one of the
    # per-server slots that queue requests (maxconn below), or the streams fill them and every
    # save waits behind them. The servers do not count it against their cap either.
    acl stream path /api/v1/attempt/events
    use_backend streams if stream
    default_backend examhall
backend examhall
    balance leastconn
    http-reuse always
    option httpchk GET /readyz
{servers}
backend streams
    balance leastconn
    option http-no-delay  # each frame goes out at once (no Nagle wait for the client's ACK)
    option httpchk GET /readyz
{streams}
"""

NGINX = """worker_processes 1;
pid {dir}/nginx.pid;
worker_rlimit_nofile {maxconn};
error_log {dir}/nginx-error.log warn;
events {{ worker_connections {maxconn}; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    upstream examhall {{
        least_conn;
{servers}
        keepalive 128;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://examhall;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def balancer(kind: str, port: int, backends: list[int], work: Path, per_server: int) -> list[str]:
    # Every candidate holds a keep-alive connection, as a browser does: the balancer needs a
    # file descriptor for each (HAProxy reserves two a connection), within this machine's limit.
    import resource

    fds = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    fds = 1_000_000 if fds == resource.RLIM_INFINITY else fds
    if kind == "haproxy":
        # HAProxy reserves two descriptors a connection; a candidate holds two client
        # connections (its stream's and its requests'): 10,000 candidates need 3 balancers
        # under a limit of 20,000 descriptors a process.
        maxconn = min(50_000, (fds - 200) // 2)
        servers = "\n".join(
            f"    server i{n} 127.0.0.1:{p} check maxconn {per_server}"
            for n, p in enumerate(backends)
        )
        streams = "\n".join(f"    server s{n} 127.0.0.1:{p} check" for n, p in enumerate(backends))
        conf = work / "haproxy.cfg"
        conf.write_text(
            HAPROXY.format(maxconn=maxconn, port=port, servers=servers, streams=streams)
        )
        print(f"haproxy: maxconn {maxconn} (file descriptor limit {fds})")
        return ["haproxy", "-db", "-f", str(conf)]
    maxconn = min(50_000, fds - 200)
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in backends)
    conf = work / "nginx.conf"
    conf.write_text(NGINX.format(dir=work, maxconn=maxconn, port=port, servers=servers))
    return ["nginx", "-c", str(conf), "-p", str(work), "-g", "daemon off;"]


def stop_group(process: subprocess.Popen[str]) -> None:
    """End a process and everything in its process group (started with start_new_session)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return  # ended, and nothing of its group outlived it
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever of the group outlived it
    process.wait()


def cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes and their children."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def tree(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    children = [int(x) for x in out.split()]
    return [pid] + [p for c in children for p in tree(c)]


def postgres_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=10000)
    parser.add_argument("--sessions", type=int, default=40, help="sessions (rooms) to spread them")
    parser.add_argument("--minutes", type=int, default=10, help="the sitting's duration")
    parser.add_argument("--ramp", type=float, default=180.0, help="arrivals over this many s")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per instance")
    parser.add_argument("--balancer", choices=["haproxy", "nginx"], default="haproxy")
    parser.add_argument(
        "--balancers",
        type=int,
        default=1,
        help="load balancers side by side (each Locust process uses one): a process may hold"
        " at most the file-descriptor limit's connections, and 10,000 candidates hold 20,000",
    )
    parser.add_argument("--per-server", type=int, default=48, help="HAProxy maxconn per worker")
    parser.add_argument("--processes", type=int, default=1, help="Locust processes")
    parser.add_argument("--port", type=int, default=8130)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    base = postgres_base_url()
    if not base:
        raise SystemExit("set EXAMHALL_TEST_POSTGRES_URL (the benchmark makes its own database)")
    tool = shutil.which(args.balancer)
    locust = shutil.which("locust") or str(Path(sys.executable).parent / "locust")
    if not tool or not Path(locust).exists():
        raise SystemExit(f"needs {args.balancer} (Debian) and locust (pip install -e '.[bench]')")

    ports = [args.port + 1 + i for i in range(args.instances)]
    lb_ports = [args.port + (100 + i if i else 0) for i in range(args.balancers)]
    refuse_busy_ports([*ports, *lb_ports])

    with workspace(args.keep) as work, ExitStack() as stack:
        url = fresh_postgres(base)
        stack.callback(lambda: None if args.keep else drop_postgres(base))
        started = time.perf_counter()
        seeded = seed(
            url,
            work,
            units=UNITS,
            candidates=args.candidates,
            sessions=args.sessions,
            duration_minutes=args.minutes,
        )
        roster = work / "roster.csv"
        with roster.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["candidate_number", "access_code", "address"])
            # Each room (session) behind an address of its own, as a centre's NAT would be.
            rooms = {n: i for i, (_, _, _, numbers) in enumerate(seeded.sessions) for n in numbers}
            people = seeded.candidates()
            writer.writerows(
                (n, code, f"10.{rooms[n] // 250}.{rooms[n] % 250}.1") for n, code in people
            )
        print(
            f"set up in {time.perf_counter() - started:.0f} s: {len(people)} candidates in "
            f"{args.sessions} open sessions of {', '.join(UNITS)}, {args.minutes} min each",
            flush=True,
        )
        servers: list[Server] = [
            stack.enter_context(serve(url, work, workers=args.workers, port=p, env=TRUST_LB))
            for p in ports
        ]
        lbs = []
        for i, lb_port in enumerate(lb_ports):
            lb_work = work / f"lb{i}"
            lb_work.mkdir()
            per_server = args.per_server * args.workers
            command = balancer(args.balancer, lb_port, ports, lb_work, per_server)
            lb_log = (lb_work / "balancer.log").open("wb")
            lbs.append(subprocess.Popen(command, stdout=lb_log, stderr=lb_log))
            stack.callback(stop, lbs[-1])
        time.sleep(2)
        server_pids = [p for s in servers for p in tree(s.process.pid)]
        pg = postgres_pids()
        cpu0 = {
            "servers": cpu_of(server_pids),
            "balancer": cpu_of([lb.pid for lb in lbs]),
            "postgres": cpu_of(pg),
        }
        run_time = int(args.ramp + args.minutes * 60 + 150)
        rate = max(1.0, args.candidates / args.ramp)
        hosts = ",".join(f"http://127.0.0.1:{p}" for p in lb_ports)
        env = {
            **os.environ,
            "EXAMHALL_ROSTER": str(roster),
            "EXAMHALL_HOSTS": hosts,
            "EXAMHALL_TIMES_DIR": str(work),
            "EXAMHALL_CLAIMS": str(work / "claims"),
        }
        processes = max(args.processes, args.balancers)
        locust_cmd = [
            locust, "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
            "--host", f"http://127.0.0.1:{args.port}", "--users", str(args.candidates),
            "--spawn-rate", f"{rate:.2f}", "--run-time", f"{run_time}s",
            "--csv", str(work / "locust"), "--stop-timeout", "30", "--loglevel", "WARNING",
        ]  # fmt: skip
        if processes > 1:
            locust_cmd += ["--processes", str(processes)]
        print(
            f"{args.instances} instances x {args.workers} worker(s) behind {args.balancers} "
            f"{args.balancer} on :{','.join(map(str, lb_ports))}; {processes} locust process(es)"
            f"; locust: {args.candidates} users at {rate:.1f}/s, up to {run_time} s;"
            f" load average {Path('/proc/loadavg').read_text().split()[:3]}",
            flush=True,
        )
        t0, started_at = time.perf_counter(), time.time()
        # Its own process group, ended with the run whatever ends it: a Locust left behind
        # (and its --processes children) goes on sending a dead run's candidates to the ports.
        proc = subprocess.Popen(
            locust_cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        stack.callback(stop_group, proc)
        locust_pids: list[int] = []
        peak_backends, loads = 0, []
        out_lines: list[str] = []
        assert proc.stdout is not None
        import threading

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                out_lines.append(line)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        locust_cpu = 0.0
        pools: list[tuple[float, float]] = []
        while proc.poll() is None:
            time.sleep(5)
            locust_pids = tree(proc.pid)
            locust_cpu = max(locust_cpu, cpu_of(locust_pids))
            loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
            peak_backends = max(peak_backends, backends(url))
            pools.extend(pool_use(servers))
        reader.join(5)
        wall = time.perf_counter() - t0
        cpu = {
            "servers": cpu_of(server_pids) - cpu0["servers"],
            "balancer": cpu_of([lb.pid for lb in lbs]) - cpu0["balancer"],
            "postgres": cpu_of(pg) - cpu0["postgres"],
            "locust": locust_cpu,
        }
        ok = report(work, out_lines, url, cpu, wall, peak_backends, loads, servers, args)
        print(timeline(work, started_at, args))
        print(server_side(servers))
        print(taken_out(work))
        print(pool_report(pools))
    if not ok:
        sys.exit(1)


def pool_use(servers: list[Server]) -> list[tuple[float, float]]:
    """Each server's request pool now: (connections in use, pool size), from its /metrics."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    seen = []
    for server in servers:
        try:
            with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            continue  # a server too busy to answer in 2 s: the latency tables say so
        values = {
            sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name in ("examhall_db_pool_in_use", "examhall_db_pool_size")
        }
        if len(values) == 2:
            seen.append((values["examhall_db_pool_in_use"], values["examhall_db_pool_size"]))
    return seen


def pool_report(samples: list[tuple[float, float]]) -> str:
    """How full the servers' request pools were, read every 5 s: a pool with every connection
    in use makes the next request wait for one, inside the cap."""
    if not samples:
        return "request pools: not read"
    full = sum(1 for used, size in samples if used >= size)
    peak = max(used for used, _ in samples)
    return (
        f"request pools (every 5 s, each server): peak {peak:.0f} of {samples[0][1]:.0f} in use;"
        f" every connection in use in {full} of {len(samples)} readings"
    )


def taken_out(work: Path) -> str:
    """How often the balancers took a server out, and why, from what each one logged (HAProxy
    runs with -db and says "Server examhall/i0 is DOWN, reason: Layer7 timeout, ..."): while
    every server of a backend is out, each of its requests gets the balancer's own 503."""
    downs: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    empty = 0
    for log in sorted(work.glob("lb*/balancer.log")):
        for line in log.read_text(errors="replace").splitlines():
            if " is DOWN" in line and "Server " in line:
                downs[line.split("Server ", 1)[1].split(" ", 1)[0]] += 1
                if "reason: " in line:
                    reasons[line.split("reason: ", 1)[1].split(",", 1)[0]] += 1
            elif "has no server available" in line:
                empty += 1
    if not downs:
        return "balancers: no server taken out"
    each = ", ".join(f"{name} {n}" for name, n in sorted(downs.items()))
    why = ", ".join(f"{reason} {n}" for reason, n in reasons.most_common())
    return (
        f"balancers: servers taken out {sum(downs.values())} times ({each}; {why}); "
        f"a backend left with no server {empty} times"
    )


def percentile(times: Counter[int], q: float) -> float:
    """The q-th quantile (0-1) of response times counted by value (ms), as Locust reads its own:
    the smallest value with at least q of the requests at or below it."""
    total = sum(times.values())
    if not total:
        return math.nan
    seen = 0
    for value in sorted(times):
        seen += times[value]
        if seen >= q * total:
            return float(value)
    return float(max(times))


def timeline(work: Path, started_at: float, args: argparse.Namespace) -> str:
    """Where in the sitting the tail lies: every request's time (the locustfile writes them per
    process, EXAMHALL_TIMES_DIR) by minute, and by phase: arrivals (the ramp), everyone seated,
    and the ends (each candidate's --minutes after its arrival, so spread like the ramp), with the
    sweeper submitting and the read-back after them."""
    import json

    by_bin: dict[int, Counter[int]] = {}
    for path in work.glob("times-*.json"):
        for at, counts in json.loads(path.read_text()).items():
            c = by_bin.setdefault(int(at), Counter())
            c.update({int(ms): n for ms, n in counts.items()})
    if not by_bin:
        return "no response times recorded (EXAMHALL_TIMES_DIR)"
    end = args.minutes * 60
    phases: dict[str, Counter[int]] = {
        "arrivals": Counter(),
        "seated": Counter(),
        "ends": Counter(),
    }
    minutes: dict[int, Counter[int]] = {}
    for at, counts in by_bin.items():
        offset = max(0.0, at + 5 - started_at)  # the (10-s) bin's middle, from Locust's start
        minutes.setdefault(int(offset // 60), Counter()).update(counts)
        phase = "arrivals" if offset < args.ramp else "seated" if offset < end else "ends"
        phases[phase].update(counts)
    rows = [
        [m, sum(c.values()), percentile(c, 0.5), percentile(c, 0.99), float(max(c))]
        for m, c in sorted(minutes.items())
    ]
    lines = ["\nresponse times by minute from the first arrival (ms):"]
    lines.append(table(["minute", "requests", "p50", "p99", "max"], rows))
    lines.append(
        f"by phase: arrivals (0-{args.ramp:.0f} s), seated ({args.ramp:.0f}-{end} s), ends "
        f"({end} s on, the sweeper and the read-back):"
    )
    lines.append(
        table(
            ["phase", "requests", "p50", "p95", "p99"],
            [
                [k, sum(c.values()), percentile(c, 0.5), percentile(c, 0.95), percentile(c, 0.99)]
                for k, c in phases.items()
                if c
            ],
        )
    )
    return "\n".join(lines)


def server_side(servers: list[Server]) -> str:
    """p99 inside the servers (arrival to last byte, the cap's wait included), per route, from
    their own latency histograms (/metrics), interpolated within a bucket as Prometheus'
    histogram_quantile does: Locust's p99 less this is the balancer, the network and the
    load generator's own scheduling on a shared machine. The event stream is left out (its
    time is the whole sitting)."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    buckets: dict[str, Counter[float]] = {}
    for server in servers:
        try:
            with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=10) as r:
                text = r.read().decode()
        except OSError as exc:
            return f"server-side latency: /metrics unreadable ({exc})"
        for family in text_string_to_metric_families(text):
            if family.name != "examhall_http_request_duration_seconds":
                continue
            for sample in family.samples:
                route = sample.labels.get("route", "")
                if not sample.name.endswith("_bucket") or route in SERVER_SIDE_SKIP:
                    continue
                name = f"{sample.labels['method']} {route}"
                for key in (name, "all"):
                    buckets.setdefault(key, Counter())[float(sample.labels["le"])] += sample.value
    rows = []
    for name, cumulative in sorted(buckets.items(), key=lambda kv: kv[0] == "all"):
        count = cumulative[math.inf]
        if count:
            rows.append([name, int(count), *(1000 * _quantile(cumulative, q) for q in (0.5, 0.99))])
    return "\nserver-side latency (ms, from the servers' histograms):\n" + table(
        ["route", "requests", "p50", "p99"], rows
    )


SERVER_SIDE_SKIP = {"/api/v1/attempt/events", "/metrics", "/readyz", "/healthz", "unmatched"}


def _quantile(cumulative: Counter[float], q: float) -> float:
    bounds = sorted(cumulative)
    rank = q * cumulative[math.inf]
    lower, below = 0.0, 0.0
    for bound in bounds:
        if cumulative[bound] >= rank:
            if math.isinf(bound):
                return lower
            share = (rank - below) / max(cumulative[bound] - below, 1e-9)
            return lower + (bound - lower) * share
        lower, below = bound, cumulative[bound]
    return lower


def backends(url: str) -> int:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    engine = create_engine(url, poolclass=__import__("sqlalchemy.pool").pool.NullPool)
    with engine.connect() as conn:
        n = conn.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"), {"d": name}
        )
    engine.dispose()
    return int(n or 0) - 1


def _num(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:  # "N/A" for a kind of request that never happened
        return 0.0


def report(
    work: Path,
    out_lines: list[str],
    url: str,
    cpu: dict[str, float],
    wall: float,
    peak_backends: int,
    loads: list[float],
    servers: list[Server],
    args: argparse.Namespace,
) -> bool:
    from sqlalchemy import create_engine, text

    stats = list(csv.DictReader((work / "locust_stats.csv").open()))
    rows, total = [], None
    for r in stats:
        row = [
            r["Name"],
            int(r["Request Count"]),
            int(r["Failure Count"]),
            _num(r["50%"]),
            _num(r["95%"]),
            _num(r["99%"]),
            _num(r["100%"]),
            _num(r["Requests/s"]),
        ]
        if r["Name"] == "Aggregated":
            total = row
        else:
            rows.append(row)
    assert total is not None
    if not total[1]:  # Locust sent nothing: say why
        print("".join(out_lines[-40:]))
        return False
    print()
    print(
        table(["request", "count", "failed", "p50", "p95", "p99", "max", "req/s"], [*rows, total])
    )
    failures = list(csv.DictReader((work / "locust_failures.csv").open()))
    for f in failures[:8]:
        print(f"  failure x{f['Occurrences']}: {f['Method']} {f['Name']}: {f['Error'][:150]}")
    outcome: dict[str, int] = {}
    for line in out_lines:
        if line.startswith("NATIONAL-OUTCOME"):
            for k, v in re.findall(r"(\w+)=(\d+)", line):
                outcome[k] = outcome.get(k, 0) + int(v)
    engine = create_engine(url)
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(text("SELECT status, count(*) FROM attempts GROUP BY 1")).all()
        )
        results = conn.scalar(text("SELECT count(*) FROM results"))
        saved = conn.scalar(text("SELECT count(*) FROM journal WHERE event='answer_saved'"))
    engine.dispose()
    errors = [server_errors(s) for s in servers]
    requests = total[1]
    print(
        f"\nverified papers: {outcome.get('verified', 0)}, with a lost answer: "
        f"{outcome.get('lost', 0)}; acknowledged answers checked: {outcome.get('acknowledged', 0)}"
    )
    print(f"attempts by status: {statuses}; results: {results}; answers journalled: {saved}")
    print(
        f"timed out (submitted by the server): {outcome.get('timed_out', 0)}, "
        f"submitted early: {outcome.get('early', 0)}"
    )
    print(
        f"server 500s: {sum(sum(e.values()) for e in errors)}; peak PostgreSQL backends: "
        f"{peak_backends}; load average during the run: min {min(loads):.1f}, "
        f"median {sorted(loads)[len(loads) // 2]:.1f}, max {max(loads):.1f}"
    )
    print(
        f"wall {wall:.0f} s; CPU seconds: "
        + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items())
        + f"; per request: servers {1000 * cpu['servers'] / requests:.2f} ms, postgres "
        f"{1000 * cpu['postgres'] / requests:.2f} ms, balancer "
        f"{1000 * cpu['balancer'] / requests:.2f} ms, "
        f"locust {1000 * cpu['locust'] / requests:.2f} ms"
    )
    # Cores per candidate: CPU over candidate-seconds (each candidate sits --minutes).
    seated = args.candidates * args.minutes * 60
    server_cores, postgres_cores = cpu["servers"] / seated, cpu["postgres"] / seated
    print(
        f"per 1,000 candidates sitting: servers {1000 * server_cores:.3f} cores, PostgreSQL "
        f"{1000 * postgres_cores:.3f} cores, balancer {1000 * cpu['balancer'] / seated:.3f}"
    )
    print("\ncapacity at these costs (see the README's planner):")
    for n in (1_000, 10_000, 100_000):
        print("  " + plan(n, server_cores, postgres_cores))
    unsubmitted = sum(v for k, v in statuses.items() if k != "submitted")
    p99, failed = total[5], total[2]
    lost, verified = outcome.get("lost", 0), outcome.get("verified", 0)
    checks = [
        (f"p99 < {TARGET_P99_MS} ms (all requests)", p99 < TARGET_P99_MS, f"{p99:.0f} ms"),
        ("0 errors", failed == 0, str(failed)),
        ("every acknowledged answer stored", lost == 0 and verified > 0, f"{lost} papers lost one"),
        ("every attempt submitted", unsubmitted == 0, f"{unsubmitted} left"),
    ]
    print()
    print(table(["target", "got", "verdict"], [[n, got, verdict(ok)] for n, ok, got in checks]))
    return all(ok for _, ok, _ in checks)


if __name__ == "__main__":
    main()

"""A hot path's CPU per request in process, for comparing two versions of the code.

    .venv/bin/python bench/inprocess.py --path save --requests 3000 --rounds 5

The app (as `examhall serve` builds it, JSON access log on, into /dev/null) is called as an
ASGI application on uvloop, one request at a time, with no server, no socket and no load
generator: what is measured is the middleware, the framework, examhall's code and the
database, and nothing else on the machine competes for the CPU. Reported: the median over
--rounds of the process CPU (user + system) per request, and the wall time per request.

This is not the benchmark (bench/hotpaths.py is: wrk against the real server, beside the
floor): it leaves out uvicorn's HTTP parsing and the socket, and one request at a time is not
64 connections. It is what to run, alternating, when deciding whether a change to a hot path
made it cheaper: on a shared 2-core machine the wrk ratios of two runs of the same code move
by more than a tenth, and these figures by a few hundredths of a millisecond.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from _common import SECRET, database, paper_lines, seed, workspace  # noqa: E402

UNIT = "F/503/0358"
PATHS = ("save", "flag", "sign-in", "paper", "clock")

Message = dict[str, Any]


class Caller:
    """Calls the ASGI app the way uvicorn would, for one request at a time."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(
        self, method: str, path: str, body: bytes = b"", headers: Sequence[tuple[bytes, bytes]] = ()
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "scheme": "http",
            "method": method,
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [
                (b"host", b"127.0.0.1:8000"),
                (b"content-length", str(len(body)).encode()),
                *([(b"content-type", b"application/json")] if body else []),
                *headers,
            ],
            "state": {},
        }
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # a client that stays connected
            raise AssertionError

        status, out_headers, chunks = 0, [], []

        async def send(message: Message) -> None:
            nonlocal status, out_headers
            if message["type"] == "http.response.start":
                status, out_headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, out_headers, b"".join(chunks)


def cookie_header(headers: list[tuple[bytes, bytes]]) -> bytes:
    return b"; ".join(
        value.split(b";", 1)[0] for name, value in headers if name.lower() == b"set-cookie"
    )


async def run(args: argparse.Namespace, work: Path, url: str) -> None:
    seeded = seed(url, work, units=[UNIT], candidates=args.candidates, sessions=1)
    os.environ.update(
        {
            "EXAMHALL_ENV": "production",
            "EXAMHALL_SECRET_KEY": SECRET,
            "EXAMHALL_DATABASE_URL": url,
            "EXAMHALL_SWEEPER": "false",
        }
    )
    import logging.config

    from app.config import get_settings
    from app.main import create_app
    from app.ops import logs

    config = logs.config("info", "json")
    config["handlers"]["default"] = {
        "class": "logging.FileHandler",
        "filename": os.devnull,
        "formatter": "default",
    }
    logging.config.dictConfig(config)
    get_settings.cache_clear()
    app = create_app()
    call = Caller(app)
    import floor as bare_floor

    floor_call = Caller(bare_floor.build(url))
    people, attempts, devices = [], [], []
    for number, code in seeded.candidates():
        body = json.dumps({"candidate_number": number, "access_code": code}).encode()
        status, headers, out = await call("POST", "/api/v1/auth/candidate", body)
        assert status == 200, out
        signed = json.loads(out)
        people.append((cookie_header(headers), signed["csrf_token"].encode(), number, code))
        attempts.append(signed["attempt_id"])
        devices.append(
            b"; ".join(
                c for c in cookie_header(headers).split(b"; ") if c.startswith(b"examhall_device=")
            )
        )
    stored = paper_lines(url)
    papers = [stored[a] for a in attempts]  # (line id, option ids) by position: papers differ
    npos = min(len(paper) for paper in papers)

    def request(path: str, i: int) -> tuple[str, str, bytes, list[tuple[bytes, bytes]]]:
        cookie, csrf, number, code = people[i % len(people)]
        auth = [(b"cookie", cookie), (b"x-csrf-token", csrf)]
        position = i // len(people) % npos + 1
        if path == "save":
            options = papers[i % len(people)][position - 1][1]
            option = options[i % len(options)]
            body = json.dumps({"option_id": option, "seq": 10**6 + i}).encode()
            return "PUT", f"/api/v1/attempt/answers/{position}", body, auth
        if path == "floor-save":
            line_id, options = papers[i % len(people)][position - 1]
            body = json.dumps({"option_id": options[i % len(options)], "seq": 10**6 + i}).encode()
            return "PUT", f"/floor/answers/{line_id}", body, []
        if path == "flag":
            # each pass over the paper sets the opposite of the last: every request changes one
            body = json.dumps({"flagged": i // len(people) // npos % 2 == 0}).encode()
            return "PUT", f"/api/v1/attempt/flags/{position}", body, auth
        if path == "sign-in":
            # from the candidate's own device, as the page signs in again (bench/wrk/hot.lua)
            body = json.dumps({"candidate_number": number, "access_code": code}).encode()
            return "POST", "/api/v1/auth/candidate", body, [(b"cookie", devices[i % len(people)])]
        if path == "paper":
            return "GET", "/api/v1/attempt", b"", auth
        return "GET", "/api/v1/attempt/clock", b"", [*auth, (b"x-examhall-page", b"1")]

    async def one_round(target: Caller, path: str, first: int) -> float:
        """CPU ms a request over one round of `path` (the process's, every thread's, in ns)."""
        t0 = time.process_time()
        for i in range(first, first + args.requests):
            status, _, out = await target(*request(path, i))
            if status != 200:
                raise SystemExit(f"{path}: {status} {out[:200]!r}")
        return (time.process_time() - t0) / args.requests * 1000

    sides = [(call, args.path), (floor_call, "floor-save")]
    product, floor, ratios = [], [], []
    async with app.router.lifespan_context(app):
        i = 0
        for target, path in sides:
            for _ in range(args.warmup):
                await target(*request(path, i))
                i += 1
        for r in range(args.rounds):
            # the order alternates between rounds, as in bench/hotpaths.py
            measured = {}
            for target, path in sides if r % 2 == 0 else sides[::-1]:
                measured[path] = await one_round(target, path, i)
                i += args.requests
            product.append(measured[args.path])
            floor.append(measured["floor-save"])
            ratios.append(product[-1] / floor[-1])
    print(
        f"{args.path}: {statistics.median(product):.3f} ms CPU a request,"
        f" the floor's save {statistics.median(floor):.3f};"
        f" product / floor {statistics.median(ratios):.2f}"
        f" (rounds {', '.join(f'{x:.2f}' for x in ratios)}; {args.requests} requests a round)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", choices=PATHS, default="save")
    parser.add_argument("--requests", type=int, default=2000, help="requests a round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--candidates", type=int, default=64)
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: a database of its own beside EXAMHALL_TEST_POSTGRES_URL's "
        "(EXAMHALL_BENCH_DB); the CPU measured is this process's, as the server's is in "
        "bench/hotpaths.py, not PostgreSQL's",
    )
    args = parser.parse_args()
    import uvloop

    with workspace() as work, database(work, args.backend == "postgres") as url:
        uvloop.run(run(args, work, url))


if __name__ == "__main__":
    main()

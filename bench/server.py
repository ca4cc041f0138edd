"""The server the HTTP benchmarks talk to: the real app (create_app(), settings from the
EXAMHALL_* environment) plus one extra route, served by uvicorn with one worker.

    PUT /bench/bare/{paper_item_id}  {option_id, seq}

is the floor the autosave endpoint is compared with: the same request body, the same
per-request transaction (app.deps.DbDep: BEGIN IMMEDIATE on SQLite, commit before the response)
and the same single-row upsert (app.sittings.repository.save_answer: an UPDATE of one
paper_items row by id, guarded by seq), and nothing else: no cookie, no attempt lookup, no
clock or status checks. It exists only in this process; the app itself is not changed.

Run by bench/_common.serve(); by hand:
    EXAMHALL_ENV=production EXAMHALL_SECRET_KEY=... EXAMHALL_DATABASE_URL=sqlite:////tmp/x.db \
        .venv/bin/python bench/server.py --port 8123
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import anyio.to_thread  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from app.deps import ClockDep, DbDep  # noqa: E402
from app.main import create_app  # noqa: E402
from app.sittings import repository  # noqa: E402
from app.sittings.schemas import AnswerIn  # noqa: E402


class BareOut(BaseModel):
    saved_at: datetime
    applied: bool


def build(threads: int = 0) -> FastAPI:
    app = create_app()
    if threads:
        # A diagnostic knob, off by default: the size of the thread pool that runs sync
        # dependencies and routes (anyio's default is 40).
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
            async with inner(a) as state:
                yield state

        app.router.lifespan_context = lifespan

    @app.put("/bench/bare/{paper_item_id}", response_model=BareOut, include_in_schema=False)
    def bare(paper_item_id: int, body: AnswerIn, db: DbDep, clock: ClockDep) -> BareOut:
        now = clock.now()
        applied = repository.save_answer(db, paper_item_id, body.option_id, body.seq, now)
        return BareOut(saved_at=now, applied=applied)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument(
        "--threads", type=int, default=0, help="thread pool size (default: anyio's, 40)"
    )
    args = parser.parse_args()
    # As `examhall serve` runs it (one worker, proxy headers), but quiet: the access log is off
    # by default so that logging does not count against either endpoint.
    uvicorn.run(
        build(args.threads),
        host="127.0.0.1",
        port=args.port,
        workers=1,
        proxy_headers=True,
        log_level="warning",
        access_log=args.access_log,
    )


if __name__ == "__main__":
    main()

"""The floor: a bare FastAPI app doing what the hot paths must do at the least, with the same
durability, served the same way (uvicorn, one worker, uvloop + httptools, no access log).

    GET /hello                      the cheapest possible answer: the heartbeat's floor
    PUT /floor/answers/{line_id}    {option_id, seq}: ONE write, committed before the answer
                                    (SQLite: WAL, synchronous=FULL, BEGIN IMMEDIATE; PostgreSQL:
                                    a commit), the UPDATE the answer save also runs
    GET /floor/paper/{attempt_id}   ONE read: the paper's lines and item texts (the paper load)

The routes are what a plain FastAPI tutorial would write: a sync route (FastAPI runs it on its
thread pool) with a SQLAlchemy Core connection; a pool of 40, one per thread.

    EXAMHALL_DATABASE_URL=sqlite:////tmp/x.db .venv/bin/python bench/floor.py --port 8121
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app.db import WRITE, make_engine  # noqa: E402  (the same pragmas: WAL, synchronous=FULL)

SAVE = text(
    "UPDATE paper_items SET answer = :answer, answer_seq = :seq, answered_at = :at "
    "WHERE id = :line AND answer_seq < :seq"
)
PAPER = text(
    "SELECT p.position, p.option_order, p.answer, p.flagged, v.stem, v.options "
    "FROM paper_items p JOIN item_versions v ON v.id = p.item_version_id "
    "WHERE p.attempt_id = :attempt ORDER BY p.position"
)


class AnswerIn(BaseModel):
    option_id: str | None
    seq: int


class SavedOut(BaseModel):
    saved_at: datetime
    applied: bool


def build(url: str) -> FastAPI:
    engine = make_engine(url, pool_size=40, max_overflow=0)
    app = FastAPI()
    sqlite = url.startswith("sqlite")

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.put("/floor/answers/{line_id}", response_model=SavedOut)
    def save(line_id: int, body: AnswerIn) -> SavedOut:
        now = datetime.now(UTC)
        # SQLite: the text SQLAlchemy's DateTime stores, so the product reads these lines too.
        at: Any = now.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else now
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            params = {"line": line_id, "seq": body.seq, "answer": body.option_id, "at": at}
            applied = conn.execute(SAVE, params).rowcount == 1
        return SavedOut(saved_at=now, applied=applied)

    @app.get("/floor/paper/{attempt_id}")
    def paper(attempt_id: int) -> list[dict[str, Any]]:
        with engine.connect() as conn, conn.begin():
            rows = conn.execute(PAPER, {"attempt": attempt_id}).mappings().all()
        return [dict(r) for r in rows]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        build(os.environ["EXAMHALL_DATABASE_URL"]),
        host="127.0.0.1",
        port=args.port,
        workers=1,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()

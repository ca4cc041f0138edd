"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from app.deps import in_thread
from app.errors import ServiceUnavailable
from app.limits import Stats
from app.migrate import not_at_head, revision_on

router = APIRouter(tags=["system"])
log = logging.getLogger("examhall")


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    revision: str | None
    in_flight: int = Field(description="Requests working on the database in this worker")
    waiting: int = Field(description="Requests queued for a database slot in this worker")
    limit: int = Field(description="Database slots per worker")
    saturated: bool = Field(
        description="Every slot busy and as many requests again queued: new work waits"
    )


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up; says nothing about the database."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Ready,
    responses={
        503: {
            "description": "Not ready: the database cannot be reached, or its schema is not at "
            "this version's revision (`examhall db upgrade`)",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    },
)
async def readyz(request: Request) -> Ready:
    """The database answers and its schema is at the head revision (else 503). How busy the
    worker is (requests at work, queued, its slots, and whether it is saturated) is reported,
    not failed on: a readiness check that fails under load takes every server out of the
    balancer at once when all are busy, and a busy sitting then gets only 503s (issue 12's
    10,000-candidate run did exactly that behind HAProxy). Balancing by least connections
    already sends new work to the least busy server."""
    # Nor does the check wait behind the work it reports on: it asks the database on a
    # connection of its own (app.db.PROBE_CONNECTIONS), not one of the requests' pool, and on
    # the hot paths' threads (app.deps.in_thread), not starlette's, which page loads and
    # stream openings queue for.
    engine: Engine = request.app.state.probe_engine
    try:
        current, why = await in_thread(_revision, engine)
    except Exception as exc:  # any driver error means not ready; the reason is logged, not shown
        log.warning("not ready: the database cannot be reached", exc_info=exc)
        raise ServiceUnavailable("The database cannot be reached.") from exc
    if why:
        raise ServiceUnavailable(f"The database {why}.")
    load: Stats = request.app.state.load
    return Ready(
        status="ready",
        revision=current,
        in_flight=load.in_flight,
        waiting=load.waiting,
        limit=load.limit,
        saturated=load.saturated,
    )


def _revision(engine: Engine) -> tuple[str | None, str | None]:
    """The database's revision, and what is wrong with it if anything: on the thread, as the
    head's first reading compiles every migration (about 100 ms in a new worker)."""
    with engine.connect() as conn:
        current = revision_on(conn)  # one query: the database answers, at this revision
    return current, not_at_head(current)

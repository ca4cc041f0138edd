"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from app.errors import ServiceUnavailable
from app.limits import Stats
from app.migrate import head_revision, revision_on

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    revision: str | None
    in_flight: int = Field(description="Requests working on the database in this worker")
    waiting: int = Field(description="Requests queued for a database slot in this worker")
    limit: int = Field(description="Database slots per worker")


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up; says nothing about the database."""
    return Health(status="ok")


@router.get("/readyz", response_model=Ready)
def readyz(request: Request) -> Ready:
    """The database answers, its schema is at the head revision, and this worker is not
    saturated (503 while every database slot is busy and as many requests again wait)."""
    engine: Engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            current = revision_on(conn)  # one query: the database answers, at this revision
    except Exception as exc:  # any driver error means not ready; the reason is logged, not shown
        raise ServiceUnavailable("The database cannot be reached.") from exc
    head = head_revision()
    if current != head:
        raise ServiceUnavailable(
            f"The database schema is at {current}, not {head}: run `examhall db upgrade`."
        )
    load: Stats = request.app.state.load
    if load.saturated:
        # Not ready for more: a load balancer sends new candidates elsewhere until it clears.
        raise ServiceUnavailable(
            f"Saturated: {load.in_flight} requests at work and {load.waiting} queued for "
            f"{load.limit} database slots.",
            extra={"in_flight": load.in_flight, "waiting": load.waiting, "limit": load.limit},
        )
    return Ready(
        status="ready",
        revision=current,
        in_flight=load.in_flight,
        waiting=load.waiting,
        limit=load.limit,
    )

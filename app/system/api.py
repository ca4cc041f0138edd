"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import Engine, text

from app.errors import ServiceUnavailable
from app.migrate import current_revision, head_revision

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    revision: str | None


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up; says nothing about the database."""
    return Health(status="ok")


@router.get("/readyz", response_model=Ready)
def readyz(request: Request) -> Ready:
    """The database answers and its schema is at the head revision."""
    engine: Engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(engine)
    except Exception as exc:  # any driver error means not ready; the reason is logged, not shown
        raise ServiceUnavailable("The database cannot be reached.") from exc
    head = head_revision()
    if current != head:
        raise ServiceUnavailable(
            f"The database schema is at {current}, not {head}: run `examhall db upgrade`."
        )
    return Ready(status="ready", revision=current)

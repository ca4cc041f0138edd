"""GET /.well-known/jwks.json: the public keys that verify signed results (no authentication)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from app.deps import ClockDep, DbDep
from app.signing import service

router = APIRouter(tags=["signed results"])


class PublicKey(BaseModel):
    model_config = ConfigDict(extra="allow")  # each key type has its own members (crv, x, y)

    kty: str
    kid: str
    alg: str
    use: str


class Jwks(BaseModel):
    keys: list[PublicKey]


@router.get("/.well-known/jwks.json", response_model=Jwks)
def jwks(db: DbDep, clock: ClockDep, response: Response) -> dict[str, Any]:
    """The public keys (RFC 7517) that verify the `signature` of every result: the key that
    signs now (published before the first result is signed), and every retired key that a
    stored signature still names."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return service.jwks(db, clock.now())

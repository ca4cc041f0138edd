"""Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for the awarding body's POSTs
that make something: the same key with the same body within KEPT is answered with the first
request's answer (and `Idempotent-Replayed: true`), never done twice; the same key with another
body is a 422; a retry that arrives while the first is still at work waits for it (PostgreSQL:
the key's unique index) and is a 409 if the first one was done, asking to retry for its answer.

The key is claimed in the request's own transaction before the work, and its answer written in
it after: a request that fails leaves no key behind, one that succeeds leaves both."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import BadRequest, Conflict, Invalid
from app.idempotency import repository
from app.idempotency.models import IdempotentRequest

KEPT = timedelta(hours=24)  # a retry after this is a new request
HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII: a UUID, a ULID, a request id


@dataclass
class Claim:
    """A key claimed for this request: `replay` holds the earlier answer, if there was one."""

    row: IdempotentRequest | None
    replay: tuple[int, dict[str, Any]] | None = None

    def answer(self, status_code: int, response: dict[str, Any]) -> None:
        """Keep this request's answer for the key's retries."""
        if self.row is not None:
            self.row.status_code = status_code
            self.row.response = response


def digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def claim(
    db: Session,
    *,
    token_id: int,
    operation: str,
    key: str | None,
    body: dict[str, Any],
    now: datetime,
) -> Claim:
    """Claim `key` for this request, or find the answer a request with it already got."""
    if key is None:
        return Claim(None)
    if not _KEY.match(key):
        raise BadRequest(f"{HEADER} is 1 to 255 visible ASCII characters (a UUID, say).")
    hashed = digest(body)
    repository.forget_before(db, token_id, now - KEPT)
    found = repository.find(db, token_id, operation, key)
    if found is None:
        row = IdempotentRequest(
            token_id=token_id,
            operation=operation,
            key=key,
            request_hash=hashed,
            status_code=0,
            response={},
            created_at=now,
        )
        try:
            with db.begin_nested():
                db.add(row)
                db.flush()
        except IntegrityError:
            # Another request with this key committed while this one waited on the index.
            raise Conflict(
                f"A request with this {HEADER} was being done at the same moment: "
                "send it again to get its answer."
            ) from None
        return Claim(row)
    if found.request_hash != hashed:
        raise Invalid.field(
            HEADER,
            f"This {HEADER} was used for a different request: use a new key for a new request.",
        )
    return Claim(None, (found.status_code, found.response))

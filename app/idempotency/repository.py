"""The idempotency keys' queries: always within one token's own keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.idempotency.models import IdempotentRequest


def forget_before(db: Session, token_id: int, before: datetime) -> None:
    db.execute(
        delete(IdempotentRequest).where(
            IdempotentRequest.token_id == token_id, IdempotentRequest.created_at < before
        )
    )


def find(db: Session, token_id: int, operation: str, key: str) -> IdempotentRequest | None:
    return db.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.token_id == token_id,
            IdempotentRequest.operation == operation,
            IdempotentRequest.key == key,
        )
    )

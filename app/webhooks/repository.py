from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery


def active(db: Session) -> list[Webhook]:
    return list(
        db.scalars(select(Webhook).where(Webhook.deleted_at.is_(None)).order_by(Webhook.id))
    )


def get_active(db: Session, webhook_id: int) -> Webhook | None:
    return db.scalar(select(Webhook).where(Webhook.id == webhook_id, Webhook.deleted_at.is_(None)))


def get(db: Session, webhook_id: int) -> Webhook | None:
    return db.get(Webhook, webhook_id)


def cancel_pending(db: Session, webhook_id: int) -> None:
    db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.status == "pending")
        .values(status="cancelled", next_attempt_at=None)
    )


def deliveries(
    db: Session, webhook_id: int, *, status: str | None, before: int | None, limit: int
) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if before:
        query = query.where(WebhookDelivery.id < before)
    return list(db.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


def delivery(
    db: Session, webhook_id: int, delivery_id: int, *, lock: bool = False
) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id
    )
    return db.scalar(query.with_for_update() if lock else query)


def lock_delivery(db: Session, delivery_id: int) -> WebhookDelivery | None:
    return db.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    )


def attempts(db: Session, delivery_id: int) -> list[WebhookAttempt]:
    return list(
        db.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)
        )
    )


def due(db: Session, now: datetime, limit: int) -> list[WebhookDelivery]:
    """Deliveries due now, locked; rows another worker has locked are skipped (PostgreSQL;
    SQLite has one writer at a time, so there is nothing to skip)."""
    return list(
        db.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


# Built once: every worker's delivery loop asks it each round, most often of an empty queue.
_ANY_DUE = select(
    exists().where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= bindparam("now")
    )
)


def any_due(db: Session, now: datetime) -> bool:
    return bool(db.scalar(_ANY_DUE, {"now": now}))

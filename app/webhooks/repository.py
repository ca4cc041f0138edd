from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, case, exists, func, literal, select, update
from sqlalchemy.orm import Session

from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery


def active(db: Session) -> list[Webhook]:
    return list(
        db.scalars(select(Webhook).where(Webhook.deleted_at.is_(None)).order_by(Webhook.id))
    )


def get_active(db: Session, webhook_id: int, *, lock: bool = False) -> Webhook | None:
    query = select(Webhook).where(Webhook.id == webhook_id, Webhook.deleted_at.is_(None))
    return db.scalar(query.with_for_update() if lock else query)


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


def due(
    db: Session,
    now: datetime,
    limit: int,
    per_webhook: int | None = None,
    in_flight: Mapping[int, int] | None = None,
) -> list[WebhookDelivery]:
    """Up to `limit` deliveries due now, earliest first, locked; with `per_webhook`, at most
    that many to each webhook less what the caller has `in_flight` to it, so that one
    receiver's backlog leaves room for the others'. Rows another worker has locked are
    skipped (PostgreSQL; SQLite has one writer at a time, so there is nothing to skip)."""
    pending = (WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
    order = (WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    query = select(WebhookDelivery).where(*pending)
    if per_webhook is not None:
        # Each webhook's earliest few, by a window (which cannot be locked: the rows are then
        # locked by id, and checked again, since another worker may have taken one meanwhile)
        rank = func.row_number().over(partition_by=WebhookDelivery.webhook_id, order_by=order)
        firsts = select(WebhookDelivery.id, WebhookDelivery.webhook_id, rank.label("rank"))
        ranked = firsts.where(*pending).subquery()
        room: ColumnElement[int] = literal(per_webhook)
        busy = {hook: per_webhook - n for hook, n in (in_flight or {}).items()}
        if busy:
            room = case(busy, value=ranked.c.webhook_id, else_=per_webhook)
        query = query.where(
            WebhookDelivery.id.in_(select(ranked.c.id).where(ranked.c.rank <= room))
        )
    return list(db.scalars(query.order_by(*order).limit(limit).with_for_update(skip_locked=True)))


# Built once: every worker's delivery loop asks it each round, most often of an empty queue.
_ANY_DUE = select(
    exists().where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= bindparam("now")
    )
)


def any_due(db: Session, now: datetime) -> bool:
    return bool(db.scalar(_ANY_DUE, {"now": now}))

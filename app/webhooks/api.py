"""Webhooks (admin): register, list, delete; each one's deliveries, their attempts, replay."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from app.auth.deps import AdminToken
from app.deps import ClockDep, DbDep, SettingsDep
from app.webhooks import service
from app.webhooks.models import Webhook, WebhookDelivery
from app.webhooks.schemas import (
    AttemptOut,
    DeliveriesPage,
    DeliveryDetail,
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookSecret,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the webhook's id")]
DeliveryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the delivery's id")]


def webhook_out(hook: Webhook) -> WebhookOut:
    return WebhookOut(id=hook.id, url=hook.url, events=hook.events, created_at=hook.created_at)


def delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut.model_validate(row, from_attributes=True)


def delivery_detail(view: service.DeliveryView) -> DeliveryDetail:
    return DeliveryDetail(
        **delivery_out(view.delivery).model_dump(),
        body=view.delivery.body,
        attempt_log=[AttemptOut.model_validate(a, from_attributes=True) for a in view.attempts],
    )


@router.post("", status_code=201, response_model=WebhookCreated)
def create_webhook(
    body: WebhookIn, db: DbDep, clock: ClockDep, settings: SettingsDep, _: AdminToken
) -> WebhookCreated:
    """Register a receiver for `result.recorded` and/or `result.corrected`. The `secret`
    (whsec_ + base64) signs every delivery and is shown only in this response."""
    hook, secret = service.create(
        db,
        url=body.url,
        events=list(body.events),
        now=clock.now(),
        allow_private=settings.webhook_allow_private,
    )
    return WebhookCreated(**webhook_out(hook).model_dump(), secret=secret)


@router.get("", response_model=list[WebhookOut])
def list_webhooks(db: DbDep, _: AdminToken) -> list[WebhookOut]:
    return [webhook_out(h) for h in service.list_active(db)]


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: WebhookId, db: DbDep, clock: ClockDep, _: AdminToken) -> Response:
    """Stop sending to this webhook; deliveries still pending are cancelled."""
    service.delete(db, webhook_id, clock.now())
    return Response(status_code=204)


@router.post("/{webhook_id}/secret", response_model=WebhookSecret)
def rotate_secret(
    webhook_id: WebhookId,
    db: DbDep,
    clock: ClockDep,
    _: AdminToken,
    keep_previous: bool = Query(
        default=True,
        description="the secret it replaces signs beside it for 24 hours (false: a leaked"
        " secret, which stops at once)",
    ),
) -> WebhookSecret:
    """A new secret for this webhook, shown only in this response. Until
    `previous_secret_until` every delivery carries two signatures in `webhook-signature`, one
    by each secret (Standard Webhooks libraries accept either), so the receiver can switch to
    the new secret whenever it likes in that time. Nothing pending is cancelled."""
    hook, secret = service.rotate_secret(db, webhook_id, clock.now(), keep_previous=keep_previous)
    return WebhookSecret(
        **webhook_out(hook).model_dump(), secret=secret, previous_secret_until=hook.previous_until
    )


@router.get("/{webhook_id}/deliveries", response_model=DeliveriesPage)
def list_deliveries(
    webhook_id: WebhookId,
    db: DbDep,
    _: AdminToken,
    status: Literal["pending", "delivered", "failed", "cancelled"] | None = None,
    before: int | None = Query(default=None, ge=1, le=2**31 - 1),
    limit: int = Query(default=50, json_schema_extra={"minimum": 1, "maximum": 200}),
) -> DeliveriesPage:
    """Newest first; pass `next_cursor` back as `before` for older ones."""
    rows, cursor = service.deliveries(db, webhook_id, status=status, before=before, limit=limit)
    return DeliveriesPage(deliveries=[delivery_out(r) for r in rows], next_cursor=cursor)


@router.get("/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryDetail)
def get_delivery(
    webhook_id: WebhookId, delivery_id: DeliveryId, db: DbDep, _: AdminToken
) -> DeliveryDetail:
    """One delivery, the body it sends and every attempt (status code, error, duration)."""
    return delivery_detail(service.delivery(db, webhook_id, delivery_id))


@router.post("/{webhook_id}/deliveries/{delivery_id}/replay", response_model=DeliveryDetail)
def replay_delivery(
    webhook_id: WebhookId, delivery_id: DeliveryId, db: DbDep, clock: ClockDep, _: AdminToken
) -> DeliveryDetail:
    """Send it again now (same body, same webhook-id), retried for a new window if it fails."""
    return delivery_detail(service.replay(db, webhook_id, delivery_id, clock.now()))

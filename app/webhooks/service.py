"""Webhooks: registration, the transactional outbox, and the delivery state machine.

A delivery row is written by `enqueue`, in the transaction that records or corrects a result,
so a result is never announced unless it was stored, nor stored without being announced. The
worker (app/webhooks/worker.py) claims due rows in short transactions, sends outside any
transaction, and records each attempt; all state is in the database, so a restart loses nothing.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import secretbox
from app.clock import as_utc, rfc3339
from app.errors import Invalid, NotFound
from app.webhooks import addresses, repository
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.webhooks.sender import Message, Outcome

RESULT_RECORDED, RESULT_CORRECTED = "result.recorded", "result.corrected"
EVENTS = (RESULT_RECORDED, RESULT_CORRECTED)
SEALED = "webhook-secret"
SECRET_BYTES = 32
PREVIOUS_SECRET_SIGNS = timedelta(hours=24)  # after a rotation, the old secret signs this long
UNREADABLE = (
    "The webhook's secret cannot be opened (the key-encryption key changed): give it a new"
    " secret (POST /api/v1/webhooks/{id}/secret)."
)
MAX_DELAY = timedelta(hours=6)  # between two attempts, once the backoff has grown
MAX_PAGE = 200


# Registration -----------------------------------------------------------------------------


def create(
    db: Session,
    *,
    url: str,
    events: list[str],
    now: datetime,
    allow_private: bool,
    resolve: addresses.Resolver = addresses.system_resolver,
) -> tuple[Webhook, str]:
    """Register a receiver; its secret (whsec_ + base64) is returned this once."""
    try:
        addresses.check(url, allow_private=allow_private, resolve=resolve)
    except addresses.Refused as exc:
        raise Invalid.field("url", str(exc)) from exc
    secret = _new_secret()
    hook = Webhook(url=url, events=[e for e in EVENTS if e in events], secret="", created_at=now)
    db.add(hook)
    db.flush()  # the id names the sealed secret
    hook.secret = _seal(hook, secret)
    return hook, secret


def list_active(db: Session) -> list[Webhook]:
    return repository.active(db)


def delete(db: Session, webhook_id: int, now: datetime) -> None:
    """Stop sending to a webhook; deliveries not yet made are cancelled, the history stays."""
    hook = _active(db, webhook_id)
    hook.deleted_at = now
    repository.cancel_pending(db, hook.id)


def _active(db: Session, webhook_id: int) -> Webhook:
    hook = repository.get_active(db, webhook_id)
    if hook is None:
        raise NotFound(f"No webhook {webhook_id}.")
    return hook


def _secret(hook: Webhook) -> str:
    return _open(hook, hook.secret)


def _open(hook: Webhook, sealed: str) -> str:
    return secretbox.current().open(sealed, purpose=SEALED, name=str(hook.id)).decode()


def _opened(hook: Webhook, sealed: str) -> str | None:
    """The secret, or None when it cannot be opened (the key-encryption key changed)."""
    try:
        return _open(hook, sealed)
    except secretbox.SecretUnreadable:
        return None


def _seal(hook: Webhook, secret: str) -> str:
    return secretbox.current().seal(secret.encode(), purpose=SEALED, name=str(hook.id))


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _also(hook: Webhook, now: datetime) -> tuple[str, ...]:
    """The secret before the last rotation, while it still signs (and can be opened)."""
    if hook.previous_secret is None or hook.previous_until is None:
        return ()
    if as_utc(hook.previous_until) <= now:
        return ()
    previous = _opened(hook, hook.previous_secret)
    return () if previous is None else (previous,)


def rotate_secret(
    db: Session, webhook_id: int, now: datetime, *, keep_previous: bool
) -> tuple[Webhook, str]:
    """A new secret for the webhook, returned this once. With `keep_previous`, the one it
    replaces still signs beside it for PREVIOUS_SECRET_SIGNS (when it can be opened: not after
    the key-encryption key was lost), so the receiver can switch without refusing a delivery;
    without, it stops at once (a leaked secret)."""
    hook = repository.get_active(db, webhook_id, lock=True)
    if hook is None:
        raise NotFound(f"No webhook {webhook_id}.")
    if keep_previous and _opened(hook, hook.secret) is not None:
        hook.previous_secret, hook.previous_until = hook.secret, now + PREVIOUS_SECRET_SIGNS
    else:
        hook.previous_secret, hook.previous_until = None, None
    secret = _new_secret()
    hook.secret = _seal(hook, secret)
    db.flush()
    return hook, secret


# The outbox -------------------------------------------------------------------------------


def enqueue(
    db: Session,
    event_type: str,
    data: dict[str, Any],
    now: datetime,
    *,
    extra: dict[str, Any] | None = None,
) -> int:
    """Queue `{type, timestamp, data}` for every webhook subscribed to the event, in the
    caller's transaction (the outbox). How many deliveries were queued."""
    assert event_type in EVENTS, event_type
    hooks = [h for h in repository.active(db) if event_type in h.events]
    if not hooks:
        return 0
    message = {"type": event_type, "timestamp": rfc3339(now), "data": data, **(extra or {})}
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    for hook in hooks:
        db.add(
            WebhookDelivery(
                webhook_id=hook.id,
                message_id=f"msg_{uuid.uuid4().hex}",
                event_type=event_type,
                body=body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                retry_from=now,
                created_at=now,
            )
        )
    db.flush()
    return len(hooks)


# What the administrator sees and does ---------------------------------------------------------


def deliveries(
    db: Session,
    webhook_id: int,
    *,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[WebhookDelivery], int | None]:
    """A webhook's deliveries, newest first, and the cursor (`before`) for older ones."""
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid.field("limit", f"limit must be between 1 and {MAX_PAGE}.")
    if repository.get(db, webhook_id) is None:
        raise NotFound(f"No webhook {webhook_id}.")
    rows = repository.deliveries(db, webhook_id, status=status, before=before, limit=limit)
    return rows, (rows[-1].id if len(rows) == limit else None)


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


def delivery(db: Session, webhook_id: int, delivery_id: int) -> DeliveryView:
    """One delivery with every attempt at it."""
    found = repository.delivery(db, webhook_id, delivery_id)
    if found is None:
        raise NotFound(f"No delivery {delivery_id} for webhook {webhook_id}.")
    return DeliveryView(found, repository.attempts(db, found.id))


def replay(db: Session, webhook_id: int, delivery_id: int, now: datetime) -> DeliveryView:
    """Send a delivery again, now, with a fresh retry window: the same body and webhook-id,
    so a receiver that already has it recognises it."""
    _active(db, webhook_id)
    found = repository.delivery(db, webhook_id, delivery_id, lock=True)
    if found is None:
        raise NotFound(f"No delivery {delivery_id} for webhook {webhook_id}.")
    found.status, found.next_attempt_at, found.retry_from = "pending", now, now
    found.delivered_at = None  # pending again: the earlier delivery is in its attempts
    db.flush()
    return DeliveryView(found, repository.attempts(db, found.id))


# The worker's side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    webhook_id: int
    message: Message


def any_due(db: Session, now: datetime) -> bool:
    """Whether a claim would find anything (a read, so an idle worker takes no write lock)."""
    return repository.any_due(db, now)


def claim_due(
    db: Session,
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    per_webhook: int | None = None,
    in_flight: Mapping[int, int] | None = None,
) -> list[Claim]:
    """Take up to `limit` due deliveries (with `per_webhook`, at most that many to a webhook
    with what is `in_flight` to it): each is pushed `lease` into the future, so no other
    worker takes it while it is being sent, and one whose worker died is taken again after."""
    claims = []
    for row in repository.due(db, now, limit, per_webhook, in_flight):
        hook = repository.get(db, row.webhook_id)
        if hook is None or hook.deleted_at is not None:
            row.status, row.next_attempt_at = "cancelled", None
            continue
        row.next_attempt_at = now + lease
        secret = _opened(hook, hook.secret)
        if secret is None:  # this webhook waits; the others go on
            row.last_error = UNREADABLE.replace("{id}", str(hook.id))
            continue
        message = Message(row.message_id, row.body, secret, hook.url, _also(hook, now))
        claims.append(Claim(row.id, row.webhook_id, message))
    return claims


def record_attempt(
    db: Session,
    delivery_id: int,
    outcome: Outcome,
    now: datetime,
    *,
    sent_at: datetime | None = None,
    retry_for: timedelta,
    first_delay: timedelta,
) -> WebhookDelivery | None:
    """Note an attempt made at `sent_at` (default `now`) and over by `now`; the delivery is
    then delivered, due again after a backoff, or failed once the retry window has passed."""
    row = repository.lock_delivery(db, delivery_id)
    if row is None:
        return None
    db.add(
        WebhookAttempt(
            delivery_id=row.id,
            attempted_at=sent_at or now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            address=outcome.address,
        )
    )
    row.attempts += 1
    row.last_status_code, row.last_error = outcome.status_code, outcome.error
    if row.status != "pending":  # cancelled, or delivered by another worker meanwhile
        return row
    if outcome.ok:
        row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
        return row
    give_up_at = as_utc(row.retry_from) + retry_for
    if now >= give_up_at:
        row.status, row.next_attempt_at = "failed", None
    else:
        row.next_attempt_at = min(now + backoff(row.attempts, first_delay), give_up_at)
    return row


def backoff(attempts: int, first: timedelta, rand: random.Random | None = None) -> timedelta:
    """The wait after the n-th failed attempt: doubling from `first`, at most MAX_DELAY, with
    jitter (between half and all of it) so that receivers coming back are not stampeded."""
    exponent = min(attempts - 1, 30)
    full: timedelta = min(first * (2**exponent), MAX_DELAY)
    jitter: float = (rand or random).random()
    return full * (0.5 + jitter / 2)

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from app.schemas import Input

EventType = Literal["result.recorded", "result.corrected"]


class WebhookIn(Input):
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    events: Annotated[list[EventType], Field(min_length=1, max_length=2)]

    @field_validator("events")
    @classmethod
    def _distinct(cls, events: list[EventType]) -> list[EventType]:
        if len(set(events)) != len(events):
            raise ValueError("each event may be named once")
        return events


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str  # whsec_ and base64: shown this once


class WebhookSecret(WebhookCreated):
    # when the secret before this one stops signing beside it (null: it already has)
    previous_secret_until: datetime | None


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    address: str | None


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    message_id: str  # the webhook-id header, the same on every attempt
    event_type: str
    status: Literal["pending", "delivered", "failed", "cancelled"]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None


class DeliveryDetail(DeliveryOut):
    body: str  # exactly the bytes sent (as UTF-8)
    attempt_log: list[AttemptOut]


class DeliveriesPage(BaseModel):
    deliveries: list[DeliveryOut]
    next_cursor: int | None  # pass as ?before= for older deliveries

"""What examhall POSTs to a registered webhook, for /openapi.json's `webhooks` (OpenAPI 3.1):
the two messages, their headers and what the receiver answers. Nothing here is served; the
messages are built by app/marking/service.py and signed by app/webhooks/sender.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from app.marking.schemas import ResultOut

HEADERS = (
    "Signed as the Standard Webhooks specification says. `webhook-id`: the same on every retry "
    "of one message (drop duplicates by it); `webhook-timestamp`: this attempt's, Unix seconds "
    '(refuse one more than 5 minutes off); `webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.'
    'timestamp.body">` keyed with the bytes after `whsec_`, one per secret, space-separated '
    "(two for a day after the secret is changed). Answer 2xx once stored; anything else, or no "
    "answer within the timeout (10 s), is retried with backoff for 72 hours."
)

WebhookId = Annotated[str, Header(alias="webhook-id", description="msg_...: the message's id")]
Timestamp = Annotated[str, Header(alias="webhook-timestamp", description="Unix seconds")]
Signature = Annotated[str, Header(alias="webhook-signature", description="v1,<base64> ...")]


class ResultRecorded(BaseModel):
    type: Literal["result.recorded"]
    timestamp: datetime
    data: ResultOut = Field(description="the result exactly as GET /api/v1/results gives it")


class Correction(BaseModel):
    kind: Literal["voided", "remarked"]
    reason: str
    recorded_at: datetime


class ResultCorrected(BaseModel):
    type: Literal["result.corrected"]
    timestamp: datetime
    data: ResultOut = Field(description="the result as the correction left it, signed then")
    correction: Correction = Field(
        description="what changed and why (not covered by the result's signature)"
    )


webhooks = APIRouter()


@webhooks.post(
    "result.recorded",
    status_code=204,
    summary="A result was recorded",
    description="Sent when a candidate's attempt is submitted and marked. " + HEADERS,
)
def result_recorded(
    body: ResultRecorded, webhook_id: WebhookId, timestamp: Timestamp, signature: Signature
) -> None:
    """Documentation only: examhall sends this, it does not serve it."""


@webhooks.post(
    "result.corrected",
    status_code=204,
    summary="A result already sent changed",
    description="Sent when a result already recorded is voided, or marked again without an"
    " excluded item version. " + HEADERS,
)
def result_corrected(
    body: ResultCorrected, webhook_id: WebhookId, timestamp: Timestamp, signature: Signature
) -> None:
    """Documentation only: examhall sends this, it does not serve it."""

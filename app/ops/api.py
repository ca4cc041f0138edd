"""GET /metrics: Prometheus' text format, for a scraper on the same host or one with the token."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response

from app.config import Settings
from app.errors import Forbidden
from app.ops import metrics

router = APIRouter(tags=["system"])


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(request: Request, settings: Settings) -> bool:
    """With EXAMHALL_METRICS_TOKEN set, only `Authorization: Bearer <token>`; without it, only a
    scraper on this host (127.0.0.1 or ::1, after the trusted proxy's forwarding headers)."""
    token = settings.metrics_token.get_secret_value()
    if token:
        sent = request.headers.get("authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    return request.client is not None and _loopback(request.client.host)


@router.get("/metrics", include_in_schema=False)
async def get_metrics(request: Request) -> Response:
    if not allowed(request, request.app.state.settings):
        raise Forbidden("Metrics are for the operators' scraper: send the metrics token.")
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)

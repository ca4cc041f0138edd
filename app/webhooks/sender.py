"""Send one delivery: signed as the Standard Webhooks specification says (its reference library
makes the signature), to the address checked just before, with no redirects, within one
deadline for the whole attempt: a receiver that trickles its answer a byte at a time is cut off
at the deadline like one that never answers (a per-read timeout let it hold a sender for as
long as it kept trickling)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx2
from standardwebhooks.webhooks import Webhook

from app.webhooks import addresses

USER_AGENT = "examhall-webhooks/1"
KEEP_RESPONSE = 500  # characters of a failing response kept for the attempt's record


@dataclass(frozen=True)
class Message:
    message_id: str
    body: str
    secret: str  # whsec_...
    url: str
    also: tuple[str, ...] = ()  # secrets that sign beside it (the one before a rotation)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    address: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(message: Message, at: datetime) -> dict[str, str]:
    """webhook-id, webhook-timestamp (this attempt's) and webhook-signature."""
    return {
        "webhook-id": message.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        # one signature per secret, space-separated, as Standard Webhooks allows for rotation
        "webhook-signature": " ".join(
            Webhook(secret).sign(message.message_id, at, message.body)
            for secret in (message.secret, *message.also)
        ),
    }


async def send(
    message: Message,
    at: datetime,
    *,
    timeout: float,
    allow_private: bool,
    resolve: addresses.Resolver = addresses.system_resolver,
) -> Outcome:
    """One attempt, over in `timeout` seconds whatever the receiver does (the address's
    lookup included); never raises for anything the receiver or the network does."""
    started = time.perf_counter()

    def outcome(status: int | None, error: str | None, address: str | None) -> Outcome:
        elapsed = round((time.perf_counter() - started) * 1000)
        return Outcome(status, error, elapsed, address)

    address: str | None = None
    try:
        async with asyncio.timeout(timeout):
            # The lookup blocks: in a thread, so that other receivers' attempts go on.
            target = await asyncio.to_thread(
                addresses.pin, message.url, allow_private=allow_private, resolve=resolve
            )
            address = target.address
            return await _post(message, at, target, timeout, outcome)
    except addresses.Refused as exc:
        return outcome(None, str(exc), None)
    except TimeoutError:
        return outcome(None, f"no answer within {timeout:g} s", address)
    except httpx2.HTTPError as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}"[:KEEP_RESPONSE], address)


async def _post(
    message: Message,
    at: datetime,
    target: addresses.Target,
    timeout: float,
    outcome: Callable[[int | None, str | None, str | None], Outcome],
) -> Outcome:
    headers = {
        **signed_headers(message, at),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": target.host_header,
    }
    extensions = {"sni_hostname": target.server_name} if target.server_name else None
    # trust_env=False: no proxy from the environment, which would connect by name again
    async with (
        httpx2.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client,
        client.stream(
            "POST",
            target.url,
            content=message.body.encode(),
            headers=headers,
            extensions=extensions,
        ) as response,
    ):
        status = response.status_code
        if 200 <= status < 300:
            return outcome(status, None, target.address)
        start = b""
        async for chunk in response.aiter_bytes():
            start = chunk[:KEEP_RESPONSE]
            break
        text = start.decode("utf-8", "replace").strip()
        reason = f"HTTP {status}" + (f": {text}" if text else "")
        if 300 <= status < 400:
            reason = f"HTTP {status}: redirects are not followed"
        return outcome(status, reason, target.address)

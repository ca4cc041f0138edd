from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete

from app.clock import MovableClock
from app.config import Settings
from app.db import make_sessionmaker, transaction
from app.webhooks.models import Webhook as WebhookRow
from app.webhooks.models import WebhookAttempt, WebhookDelivery
from app.webhooks.worker import in_own_loop
from tests.conftest import make_settings
from tests.sittings.conftest import room  # noqa: F401  (the room fixture, for these tests too)


@pytest.fixture
def settings(engine: Engine) -> Settings:
    """Receivers here are on 127.0.0.1, so private addresses are allowed (one test refuses)."""
    return make_settings(
        engine.url.render_as_string(hide_password=False),
        webhook_allow_private=True,
        webhook_timeout_seconds=2.0,
    )


@pytest.fixture
def clock() -> MovableClock:
    """Real time: the Standard Webhooks reference verification refuses a webhook-timestamp
    more than five minutes from its own clock."""
    return MovableClock(datetime.now(UTC).replace(microsecond=0))


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def committed(engine: Engine) -> Iterator[list[int]]:
    """Ids of webhooks this test commits; they and their deliveries are deleted afterwards."""
    ids: list[int] = []
    yield ids
    with transaction(make_sessionmaker(engine)) as db:
        deliveries = db.query(WebhookDelivery.id).filter(WebhookDelivery.webhook_id.in_(ids))
        db.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
        db.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id.in_(ids)))
        db.execute(delete(WebhookRow).where(WebhookRow.id.in_(ids)))


# asyncio.run on a thread of its own (a browser test keeps a loop in the main thread)
run = in_own_loop

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from app.clock import MovableClock
from app.config import Settings
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

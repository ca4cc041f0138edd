"""Browser tests: Playwright on Debian's chromium, against a live server on 127.0.0.1.

The live server runs on its own SQLite file (real commits: a browser is another process's client).
Outside CI the tests skip when /usr/bin/chromium is absent; in CI that is a failure.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.main import create_app
from app.migrate import upgrade
from tests.conftest import make_settings, missing

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        missing("Chromium", "apt-get install chromium (.ci/run does)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--disable-gpu",
            "--disable-quic",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost",
        ],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OffsetClock:
    """Real time plus an offset the test can move: the page's countdown and the server agree."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


class LiveServer:
    def __init__(self, url: str, app: Any, db_url: str, clock: OffsetClock) -> None:
        self.url = url
        self.app = app
        self.db_url = db_url
        self.clock = clock


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    upgrade(db_url)
    clock = OffsetClock()
    # The tests move the clock forward by minutes: that is not the service being down.
    # The tests move the clock and wait for the page to follow: resync every 3 s, not 15.
    settings = make_settings(db_url, sweeper=True, downtime_after_seconds=0, page_resync_seconds=3)
    app = create_app(settings, clock=clock)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", app, db_url, clock)
    server.should_exit = True
    thread.join(timeout=10)

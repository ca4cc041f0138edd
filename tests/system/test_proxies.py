"""X-Forwarded-For is believed only from the proxies the deployment names."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tests.conftest import make_settings


def _client_seen(options: dict[str, Any], peer: str, forwarded: str) -> str:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["client"] = scope["client"][0]

    wrapped: Any = app
    if options["proxy_headers"]:  # what uvicorn does with these options
        wrapped = ProxyHeadersMiddleware(app, trusted_hosts=options["forwarded_allow_ips"])
    scope = {
        "type": "http",
        "client": (peer, 5000),
        "headers": [(b"x-forwarded-for", forwarded.encode())],
    }
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, wrapped(scope, None, None)).result()
    return str(seen["client"])


def test_no_proxy_is_trusted_unless_configured() -> None:
    options = make_settings("sqlite://").proxy_options()
    assert options["proxy_headers"] is False
    # A local peer (the old default trusted 127.0.0.1) cannot claim another address.
    assert _client_seen(options, "127.0.0.1", "203.0.113.9") == "127.0.0.1"


def test_a_configured_proxy_range_is_believed_and_no_one_else() -> None:
    options = make_settings("sqlite://", trusted_proxies="10.0.0.0/8, 192.0.2.7").proxy_options()
    assert options["proxy_headers"] is True
    assert _client_seen(options, "10.1.2.3", "203.0.113.9") == "203.0.113.9"
    assert _client_seen(options, "192.0.2.7", "203.0.113.9") == "203.0.113.9"
    assert _client_seen(options, "127.0.0.1", "203.0.113.9") == "127.0.0.1"

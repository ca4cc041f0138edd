"""Every console page under /console, in one router."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.console import (
    auth,
    banks,
    candidates,
    centres,
    results,
    sittings,
    statistics,
    tokens,
    webhooks,
)

router = APIRouter(prefix="/console", include_in_schema=False)
router.add_api_route("", auth.home, methods=["GET"], response_class=HTMLResponse)
for module in (auth, centres, candidates, sittings, results, statistics, tokens, webhooks, banks):
    router.include_router(module.router)

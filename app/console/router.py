"""Every console page under /console, in one router."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.console import (
    auth,
    banks,
    calibration,
    candidates,
    centres,
    results,
    sittings,
    standards,
    statistics,
    tokens,
    webhooks,
)
from app.console.deps import Renewing

router = APIRouter(prefix="/console", include_in_schema=False, route_class=Renewing)
router.add_api_route("", auth.home, methods=["GET"], response_class=HTMLResponse)
for module in (
    auth,
    centres,
    candidates,
    sittings,
    results,
    statistics,
    tokens,
    webhooks,
    banks,
    calibration,
    standards,
):
    router.include_router(module.router)

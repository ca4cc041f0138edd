"""/docs: Swagger UI from the fastapi-offline package's own files (no CDN), started by our own
script file, so the page runs under the same Content-Security-Policy as every other page."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, routing
from fastapi.openapi.utils import _get_api_route_for_openapi, get_openapi
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from app.apidocs.problems import document
from app.web import render
from app.webhooks.openapi import webhooks as webhook_messages

ASSETS = Path(str(files("fastapi_offline") / "static"))
router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> Response:
    return render(request, "docs.html")


def api_routes(app: FastAPI) -> list[Any]:
    """Every JSON route as FastAPI's own OpenAPI generator sees it: with its full path, its
    methods and its dependencies (since FastAPI 0.16x included routers are not copied, so
    app.routes alone does not reach them). tests/system/test_docs.py notices if this changes."""
    found = (_get_api_route_for_openapi(c) for c in routing.iter_route_contexts(app.routes))
    return [route for route in found if route is not None]


def install(app: FastAPI) -> None:
    """Serve /docs and its assets, and describe every problem in /openapi.json."""
    app.include_router(router)
    app.mount("/docs-assets", StaticFiles(directory=ASSETS), name="docs-assets")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                webhooks=webhook_messages.routes,  # what examhall sends (OpenAPI 3.1)
            )
            app.openapi_schema = document(schema, api_routes(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

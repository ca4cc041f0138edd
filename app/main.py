"""create_app(): settings, database, routers, error handlers, static files."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import RequestResponseEndpoint

from app.auth.api import router as auth_router
from app.candidates.api import router as candidates_router
from app.centres.api import router as centres_router
from app.clock import Clock, SystemClock
from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker
from app.errors import install_error_handlers
from app.home.pages import router as home_router
from app.invigilation.api import router as invigilation_router
from app.invigilation.pages import router as invigilator_pages
from app.journal.api import router as journal_router
from app.limits import BodyLimit, ConcurrencyLimit, Stats, default_limit
from app.marking.api import router as marking_router
from app.qualifications.api import router as qualifications_router
from app.sittings import events, sweeper
from app.sittings.api import router as sittings_router
from app.sittings.pages import router as exam_pages
from app.system.api import router as system_router
from app.web import STATIC_DIR, Redirect

SECURITY_HEADERS = {
    # No CDN and no inline script: exam rooms are locked down, and so is the page.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if settings.sweeper:
            # Downtime is credited before this worker serves: no request may time an attempt
            # out on time the service took from it.
            await run_in_threadpool(sweeper.beat_once, app)
            task = asyncio.create_task(sweeper.run(app))
        yield
        if task:
            task.cancel()
        await events.close_all(app)
        app.state.engine.dispose()

    app = FastAPI(
        title="examhall",
        version="1",
        description="Online multiple-choice exam delivery for awarding organisations.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    limit = settings.max_concurrent_requests or default_limit(settings.is_sqlite)
    app.state.load = Stats(limit)
    app.add_middleware(ConcurrencyLimit, limit=limit, stats=app.state.load)
    # Outermost: a body is read, and bounded, before its request may take a database slot.
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds
    )
    install_error_handlers(app)

    @app.exception_handler(Redirect)
    async def _redirect(request: Request, exc: Redirect) -> Response:
        return RedirectResponse(exc.path, status_code=303)

    for router in (
        system_router,
        home_router,
        auth_router,
        centres_router,
        candidates_router,
        qualifications_router,
        sittings_router,
        events.router,
        invigilation_router,
        marking_router,
        journal_router,
        exam_pages,
        invigilator_pages,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    logging.getLogger("examhall").setLevel(logging.INFO)
    return app

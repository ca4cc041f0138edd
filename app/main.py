"""create_app(): settings, database, routers, error handlers, static files."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from app import secretbox
from app.apidocs import pages as apidocs
from app.auth.api import router as auth_router
from app.calibration.api import router as calibration_router
from app.candidates import importer
from app.candidates.api import router as candidates_router
from app.centres.api import router as centres_router
from app.clock import Clock, SystemClock
from app.config import Settings, get_settings
from app.console.router import router as console_router
from app.db import POOL_SPARE, make_engine, make_probe_engine, make_sessionmaker
from app.errors import install_error_handlers
from app.home.pages import router as home_router
from app.invigilation.api import router as invigilation_router
from app.invigilation.pages import router as invigilator_pages
from app.journal.api import router as journal_router
from app.limits import BodyLimit, ConcurrencyLimit, Stats, default_limit
from app.marking.api import router as marking_router
from app.ops import metrics, runtime
from app.ops.api import router as metrics_router
from app.ops.middleware import Observe, SecurityHeaders, Working
from app.qualifications.api import router as qualifications_router
from app.signing.api import router as signing_router
from app.sittings import events, sweeper
from app.sittings.api import router as sittings_router
from app.sittings.pages import router as exam_pages
from app.standards.api import router as standards_router
from app.stats.api import router as stats_router
from app.system.api import router as system_router
from app.web import STATIC_DIR, Redirect
from app.webhooks.api import router as webhooks_router
from app.webhooks.worker import Worker as WebhookWorker

TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    settings = settings or get_settings()
    secretbox.configure(settings)  # seals signing keys and webhook secrets
    limit = settings.max_concurrent_requests or default_limit(settings.is_sqlite)
    probe = engine  # an engine passed in (tests) serves /readyz too
    if engine is None:
        # The pool holds a connection for every request the cap lets work at once.
        engine = make_engine(settings.database_url, request_cap=limit)
        metrics.watch_pool(engine, limit + POOL_SPARE)
        probe = make_probe_engine(settings.database_url)
    metrics.CAP.set(limit)
    runtime.watch_gc()
    runtime.tune_collector(settings.gc_young_threshold)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = []
        if settings.sweeper:
            # Downtime is credited before this worker serves: no request may time an attempt
            # out on time the service took from it.
            await run_in_threadpool(sweeper.beat_once, app)
            tasks.append(asyncio.create_task(sweeper.run(app)))
        if settings.webhook_worker:
            worker = WebhookWorker(app.state.sessionmaker, app.state.clock, settings)
            tasks.append(asyncio.create_task(worker.run()))
        yield
        for task in tasks:
            task.cancel()
        await events.close_all(app)
        app.state.engine.dispose()
        if app.state.probe_engine is not app.state.engine:
            app.state.probe_engine.dispose()

    app = FastAPI(
        title="examhall",
        version="1",
        description="Online multiple-choice exam delivery for awarding organisations.",
        lifespan=lifespan,
        docs_url=None,  # served by app.apidocs: no CDN, under the same policy as every page
        redoc_url=None,
        # Operations are Prometheus metrics and JSON logs (app.ops). FastAPI's own OpenTelemetry
        # hooks, left on, look up the global providers on every request to find them unset.
        telemetry=TELEMETRY_OFF,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = engine
    app.state.probe_engine = probe
    app.state.sessionmaker = make_sessionmaker(engine)

    app.state.load = Stats(limit)
    # Pure ASGI, innermost first: the slot gauge inside the cap; the cap; the body read and
    # bounded before its request may take a database slot; the security headers (on a 413
    # too); outermost the request id, metrics and access log, which see every request whole.
    app.add_middleware(Working)
    app.add_middleware(ConcurrencyLimit, limit=limit, stats=app.state.load)
    # Candidate files are larger than any JSON body: their two routes get the file's own limit
    # (and room for the multipart envelope); the importer refuses more than that itself.
    upload = importer.MAX_BYTES + 64 * 1024
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout_seconds,
        larger={"/api/v1/candidates/import": upload, "/console/candidates/upload": upload},
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Observe, access_log_enabled=settings.access_log)
    install_error_handlers(app)

    @app.exception_handler(Redirect)
    async def _redirect(request: Request, exc: Redirect) -> Response:
        return RedirectResponse(exc.path, status_code=303)

    # Starlette tries the routes in order, and FastAPI matches the chosen one twice: the
    # candidate's routes (every save, flag, sign-in, paper and clock of a sitting) come first.
    # No route of a later router matches one of theirs (tests/system/test_routes.py: no route
    # is shadowed by an earlier one).
    for router in (
        sittings_router,
        events.router,
        system_router,
        metrics_router,
        home_router,
        auth_router,
        centres_router,
        candidates_router,
        qualifications_router,
        calibration_router,
        invigilation_router,
        marking_router,
        journal_router,
        webhooks_router,
        standards_router,
        signing_router,
        stats_router,
        exam_pages,
        invigilator_pages,
        console_router,
    ):
        app.include_router(router)
    apidocs.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    logging.getLogger("examhall").setLevel(logging.INFO)
    return app

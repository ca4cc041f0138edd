"""Business errors carry their HTTP status; one set of handlers renders every error.

Under /api every error is an RFC 9457 problem (application/problem+json); elsewhere an HTML page.
No stack trace ever reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("examhall")

PROBLEM_BASE = "https://examhall.invalid/problems/"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class AppError(Exception):
    status = 400
    code = "bad-request"
    #: commit the request's transaction even though it fails (e.g. to record a failed login)
    commit = False

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        self.headers: dict[str, str] = {}


class BadRequest(AppError):
    status, code = 400, "bad-request"


class Unauthorized(AppError):
    status, code = 401, "not-authenticated"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not-found"


class Conflict(AppError):
    status, code = 409, "conflict"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported-media-type"


class Invalid(AppError):
    status, code = 422, "validation-failed"

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        """A failure of one named field, shaped like the request validator's."""
        return cls(message, extra={"errors": [{"field": name, "message": message}]})


class Throttled(AppError):
    status, code = 429, "too-many-requests"
    commit = True

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.headers["Retry-After"] = str(retry_after)


class ServiceUnavailable(AppError):
    status, code = 503, "unavailable"


def wants_problem_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/readyz")


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    code: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    title = TITLES.get(status, "Error")
    if wants_problem_json(request):
        body = {
            "type": PROBLEM_BASE + (code or title.lower().replace(" ", "-")),
            "title": title,
            "status": status,
            "detail": detail,
            "instance": request.url.path,
            **(extra or {}),
        }
        return JSONResponse(body, status, headers=headers, media_type="application/problem+json")
    from app.web import render  # local: web imports config and templates, not errors

    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "detail": detail},
        status_code=status,
        headers=headers,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _json_media(media: str) -> bool:
    """application/json or a +json type (as FastAPI reads them)."""
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _unique_violation(exc: IntegrityError) -> bool:
    """A unique key's violation, as PostgreSQL (SQLSTATE 23505) or SQLite reports it."""
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(exc.orig)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return problem(
            request, exc.status, exc.detail, code=exc.code, extra=exc.extra, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        media = _media_type(request)
        if not _json_media(media) and any(
            tuple(e.get("loc", ())) == ("body",) and e.get("type") != "missing" for e in errors
        ):
            # The body was never read as JSON (FastAPI reads only a JSON media type): say so,
            # rather than that "the input should be an object" (curl -d sends a form's type).
            sent = f"Content-Type {media}" if media else "no Content-Type"
            return problem(
                request,
                415,
                f"This route takes a JSON body, sent as Content-Type application/json; the"
                f" request had {sent}.",
                code="unsupported-media-type",
            )
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem(
                request, 400, "The request body is not valid JSON.", code="malformed-json"
            )
        fields = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": _message(e)} for e in errors
        ]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return problem(request, 422, detail, code="validation-failed", extra={"errors": fields})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address."
        if exc.status_code == 405 and detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed here."
        return problem(request, exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(DataError)
    async def _bad_value(request: Request, exc: DataError) -> Response:
        # The database refused a value the client sent (a NUL character, a number out of range).
        log.info(
            "database refused a value on %s %s: %s", request.method, request.url.path, exc.orig
        )
        return problem(request, 400, "A value in the request cannot be stored or looked up.")

    @app.exception_handler(IntegrityError)
    async def _clash(request: Request, exc: IntegrityError) -> Response:
        # A unique key taken by a concurrent request between our check and our write (the
        # checks before every insert give the usual 409 with a better message). Anything else
        # the database refuses as inconsistent is our fault, not the client's.
        if not _unique_violation(exc):
            return await _unexpected(request, exc)
        log.info("unique key taken on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(
            request,
            409,
            "This conflicts with a record that exists already (made at the same moment by"
            " another request); nothing was changed.",
        )

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> Response:
        # The database is unreachable or busy beyond its timeout: nothing was stored; retry.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(
            request,
            503,
            "The service is busy; nothing was changed. Try again in a moment.",
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, "Something went wrong on our side; it has been logged.")


def _message(error: Any) -> str:
    """Pydantic's message for a validation error, without the prefix it puts before our own
    validators' words ("Value error, Give the reason..."): those are written for the reader."""
    return str(error.get("msg", "")).removeprefix("Value error, ")

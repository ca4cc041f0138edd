"""Every route's error responses, documented as RFC 9457 problems with an example.

The examples come from the AppError classes themselves (their status, code and title), so the
description and the runtime handler cannot drift apart."""

from __future__ import annotations

from typing import Any

from app.errors import (
    PROBLEM_BASE,
    TITLES,
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
)

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "Identifies the problem."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, for a person to read."},
        "instance": {"type": "string", "description": "The path of the request."},
        "errors": {
            "type": "array",
            "description": "422: each field that failed (an upload: each row and column).",
            "items": {"type": "object", "additionalProperties": True},
        },
        "retry_after": {"type": "integer", "description": "429: seconds to wait."},
    },
    "additionalProperties": True,
}

# What each status means for a client, with the error class a handler raises for it (or, for
# the problems answered before a route runs, the problem's code).
_CASES: dict[int, tuple[type[AppError] | str, str, str]] = {
    400: (
        BadRequest,
        "The request cannot be read (malformed JSON, a bad cursor).",
        "The request body is not valid JSON.",
    ),
    401: (
        Unauthorized,
        "Not authenticated: no valid token or session.",
        "An awarding-body bearer token is required.",
    ),
    403: (
        Forbidden,
        "Authenticated but not allowed (scope, role, another centre, or a missing X-CSRF-Token).",
        "This token lacks the 'admin' scope.",
    ),
    404: (NotFound, "No such resource (or not visible to this caller).", "No session 42."),
    409: (
        Conflict,
        "The resource's state does not allow this now.",
        "This session is closed; it cannot be started again.",
    ),
    422: (
        Invalid,
        "A value failed validation; `errors` lists each field.",
        "scheduled_start: Input should be a valid datetime",
    ),
    503: (
        ServiceUnavailable,
        "The database is busy or unreachable; nothing was changed. Retry.",
        "The service is busy; nothing was changed. Try again in a moment.",
    ),
    408: (
        "request-timeout",
        "The request body stopped arriving (app/limits.py: seconds without a byte).",
        "The request body stopped arriving for 10 seconds.",
    ),
    413: (
        "request-too-large",
        "The request body is larger than this route accepts; nothing was read or changed.",
        "The request body is larger than this route accepts (1048576 bytes).",
    ),
    415: (
        "unsupported-media-type",
        "The body was not sent with the media type the route reads (see requestBody).",
        "This route takes a JSON body, sent as Content-Type application/json; the request had "
        "Content-Type text/plain.",
    ),
    429: (
        Throttled,
        "Too many failed sign-ins; wait `retry_after` seconds.",
        "Too many failed sign-in attempts. Try again in 300 seconds.",
    ),
}


def example(status: int, path: str = "/api/v1/...") -> dict[str, Any]:
    cls, _, detail = _CASES[status]
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (cls if isinstance(cls, str) else cls.code),
        "title": TITLES[status],
        "status": status,
        "detail": detail,
        "instance": path,
    }
    if status == 422:
        body["errors"] = [
            {"field": "scheduled_start", "message": "Input should be a valid datetime"}
        ]
    if status == 429:
        body["retry_after"] = 300
    return body


# The dependencies that authenticate a caller (app.auth.deps, app.sittings.deps).
AUTHENTICATING = {
    "dependency",
    "current_staff",
    "candidate_ticket",
    "candidate_call",
    "bearer_or_staff",
}


# Query parameters that name a resource: an unknown one is a 404, not an empty answer.
NAMING_QUERIES = {"centre", "unit"}


def statuses_for(route: Any) -> list[int]:
    """The problems a route can answer with, from what it takes and who may call it."""
    found = {400, 422, 503}  # every route parses its input and uses the database
    if _dependency_names(route) & AUTHENTICATING:
        found |= {401, 403}
    if route.param_convertors or "{" in route.path:
        found.add(404)
    if {q.name for q in route.dependant.query_params} & NAMING_QUERIES:
        found.add(404)  # a filter naming a centre or unit that does not exist
    methods = route.methods or set()
    if methods & {"POST", "PUT", "DELETE", "PATCH"}:
        found |= {404, 409}  # a body may name what does not exist
        found |= {408, 413}  # every body is read, bounded in size and time, first (app/limits)
        if route.dependant.body_params or _reads_own_body(route):
            found.add(415)
        if route.path.endswith("/auth/invigilator") or route.path.endswith("/auth/candidate"):
            found |= {401, 429}
    return sorted(found)


def _reads_own_body(route: Any) -> bool:
    """A route that reads its body itself (a CSV upload) declares it in openapi_extra."""
    extra = getattr(route, "openapi_extra", None) or {}
    return "requestBody" in extra


# How each kind of caller authenticates (components.securitySchemes), and which the routes
# that take each authenticating dependency accept: Swagger's Authorize button, and what a
# generated client sends.
SECURITY_SCHEMES: dict[str, Any] = {
    "awardingBodyToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An awarding-body API token (`eh_...`, from `examhall token create` or "
        "the console), scope `admin` or `results:read` as each route says.",
    },
    "invigilatorSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "examhall_staff",
        "description": "Set by `POST /api/v1/auth/invigilator`.",
    },
    "candidateSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "examhall_candidate",
        "description": "Set by `POST /api/v1/auth/candidate`.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "The `csrf_token` the sign-in answered with; on every unsafe request "
        "(POST, PUT, DELETE) of a cookie session.",
    },
}


def security_for(route: Any, method: str) -> list[dict[str, list[str]]] | None:
    """The OpenAPI security requirement of a route's operation (None: open to anyone)."""
    names = _dependency_names(route)
    unsafe = method.upper() not in ("GET", "HEAD", "OPTIONS")

    def cookie(scheme: str) -> dict[str, list[str]]:
        return {scheme: [], "csrfToken": []} if unsafe else {scheme: []}

    options: list[dict[str, list[str]]] = []
    if names & {"dependency", "bearer_or_staff"}:
        options.append({"awardingBodyToken": []})
    if names & {"current_staff", "bearer_or_staff"}:
        options.append(cookie("invigilatorSession"))
    if names & {"candidate_ticket", "candidate_call"}:
        options.append(cookie("candidateSession"))
    return options or None


def _dependency_names(route: Any) -> set[str]:
    names: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            names.add(getattr(dep.call, "__name__", ""))
        stack.extend(dep.dependencies)
    return names


def document(schema: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """Add the Problem schema and each route's problem responses to an OpenAPI document."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schema["components"]["securitySchemes"] = SECURITY_SCHEMES
    ref = {"$ref": "#/components/schemas/Problem"}
    for route in routes:
        if not route.path.startswith("/api/"):
            continue
        operations = schema.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            security = security_for(route, method)
            if security is not None:
                operation["security"] = security
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's HTTPValidationError: we answer with a problem
            for status in statuses_for(route):
                responses[str(status)] = {
                    "description": _CASES[status][1],
                    "content": {
                        "application/problem+json": {
                            "schema": ref,
                            "example": example(status, route.path_format),
                        }
                    },
                }
            # Problems a route declares itself (a streaming route, say) get the same schema and
            # an example, keeping the route's own description.
            for status, response in responses.items():
                if status[0] in "45" and status.isdigit() and int(status) in _CASES:
                    response["content"] = {
                        "application/problem+json": {
                            "schema": ref,
                            "example": example(int(status), route.path_format),
                        }
                    }
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    return schema

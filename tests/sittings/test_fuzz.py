"""Nothing a client sends produces a 500: every JSON route, driven from the OpenAPI schema with
wrong types, edge values and hostile strings, as each kind of caller. Seeded and bounded."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import PASSWORD
from tests.sittings.conftest import Room

# Fixed, so a failure reproduces; set EXAMHALL_FUZZ_SEED to explore further.
SEED = int(os.environ.get("EXAMHALL_FUZZ_SEED", "20261121"))
CASES_PER_ROUTE = 16

HOSTILE: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63,
    -(2**63) - 1,
    10**30,
    1e308,
    "",
    " ",
    "x" * 5000,
    "\u0000",
    "\ud800",  # a lone surrogate: valid JSON, not encodable as UTF-8
    "\u202e\u0645\U0001f600",
    "2026-13-45T99:99:99Z",
    "../../etc/passwd",
    "'; DROP TABLE results; --",
    "<script>alert(1)</script>",
    '=HYPERLINK("x")',
    [],
    {},
    [[[[[]]]]],
    {"a": {"b": {"c": [1, "2", None]}}},
]
PATH_VALUES = [
    "1",
    "0",
    "-1",
    "99999999999999999999999",
    "abc",
    "D-601-7644",
    "F-503-0358",
    "600-8065-6",
    "N001",
    "%00",
    "%F0%9F%98%80",
    "x" * 300,
    "..%2F..%2Fetc",
]
QUERY_VALUES = ["", "0", "-5", "1001", "x", "cjE6MQ", "!!!", "x" * 200, "F/503/0358", "C0042"]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _plausible(spec: dict[str, Any], schema: dict[str, Any], rng: random.Random) -> Any:
    """A value of roughly the right type, so that mutations reach deeper validation."""
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _plausible(spec, rng.choice(schema[key]), rng)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _plausible(spec, sub, rng) for name, sub in props.items()}
    if kind == "array":
        return [_plausible(spec, schema.get("items", {}), rng) for _ in range(rng.randint(0, 3))]
    if kind == "integer":
        return rng.choice([1, 5, 60, 100])
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return rng.random() < 0.5
    if schema.get("format") == "date-time":  # extreme offsets fall outside the year range in UTC
        return rng.choice(
            ["2026-06-01T09:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
        )
    if schema.get("format") == "date":
        return "2026-06-01"
    return rng.choice(["N001", "C0042", "F/503/0358", "600/8065/6", "ann", "portfolio", "pass"])


def _bodies(spec: dict[str, Any], op: dict[str, Any], rng: random.Random) -> Iterator[Any]:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:  # vary the path, the query and the caller instead
        yield from [None] * (CASES_PER_ROUTE // 2)
        return
    schema = _resolve(spec, content["schema"])
    for _ in range(CASES_PER_ROUTE):
        choice = rng.random()
        if choice < 0.2:
            yield rng.choice(HOSTILE)  # the whole body is wrong
            continue
        body = _plausible(spec, schema, rng)
        if isinstance(body, dict) and body and choice < 0.9:
            field = rng.choice(list(body))
            body[field] = rng.choice(HOSTILE)
        elif isinstance(body, dict):
            body[rng.choice(["extra", "__proto__", "id"])] = rng.choice(HOSTILE)
        yield body


def _path(template: str, rng: random.Random) -> str:
    parts = []
    for part in template.split("/"):
        parts.append(rng.choice(PATH_VALUES) if part.startswith("{") else part)
    return "/".join(parts)


@pytest.fixture
def callers(room: Room) -> Iterator[dict[str, tuple[TestClient, dict[str, str]]]]:
    """One client per kind of caller, each signed in, over a session with candidates sitting."""
    session = room.open_session(["N001", "N002"])
    app = room.client.app
    with (
        TestClient(app, raise_server_exceptions=False) as staff,
        TestClient(app, raise_server_exceptions=False) as candidate,
        TestClient(app, raise_server_exceptions=False) as stranger,
    ):
        login = {"centre": "C0042", "username": "ann", "password": PASSWORD}
        staff_csrf = staff.post("/api/v1/auth/invigilator", json=login).json()["csrf_token"]
        own = {c["candidate_number"]: c["access_code"] for c in session["candidates"]}
        sign_in = {"candidate_number": "N001", "access_code": own["N001"]}
        cand_csrf = candidate.post("/api/v1/auth/candidate", json=sign_in).json()["csrf_token"]
        yield {
            "awarding body": (room.client, room.admin()),
            "invigilator": (staff, {"X-CSRF-Token": staff_csrf}),
            "candidate": (candidate, {"X-CSRF-Token": cand_csrf}),
            "nobody": (stranger, {}),
        }


def test_no_request_produces_a_server_error(
    room: Room, callers: dict[str, tuple[TestClient, dict[str, str]]]
) -> None:
    rng = random.Random(SEED)
    spec = room.client.app.openapi()  # type: ignore[attr-defined]
    failures: list[str] = []
    sent = 0
    for template, ops in spec["paths"].items():
        if not template.startswith("/api/"):
            continue
        for method, op in ops.items():
            if "text/event-stream" in op.get("responses", {}).get("200", {}).get("content", {}):
                continue  # an endless stream: tests/browser and test_events drive it on a server
            params = [p for p in op.get("parameters", []) if p["in"] == "query"]
            for body in _bodies(spec, op, rng):
                who = rng.choice(list(callers))
                client, headers = callers[who]
                path = _path(template, rng)
                query = {p["name"]: rng.choice(QUERY_VALUES) for p in params if rng.random() < 0.7}
                kwargs: dict[str, Any] = {"params": query, "headers": headers}
                if body is not None:
                    kwargs["content"] = json.dumps(body)
                    kwargs["headers"] = {**headers, "content-type": "application/json"}
                response = client.request(method.upper(), path, **kwargs)
                sent += 1
                problem = response.headers.get("content-type", "").startswith(
                    "application/problem+json"
                )
                if response.status_code >= 500 or (response.status_code >= 400 and not problem):
                    failures.append(
                        f"{method.upper()} {path} as {who} {str(body)[:80]!r}"
                        f" -> {response.status_code} {response.text[:160]}"
                    )
    assert sent > 300
    assert failures == []

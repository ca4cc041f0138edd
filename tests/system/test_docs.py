"""/docs without a CDN, and an OpenAPI description that documents every problem."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from app.apidocs.pages import api_routes
from app.apidocs.problems import statuses_for


def test_docs_load_everything_from_this_service(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # nothing from outside
    assert "<script>" not in page.text and "style=" not in page.text  # the policy allows neither
    for path in sources:
        if path.startswith(("/docs-assets", "/static")):
            assert client.get(path).status_code == 200, path
    bundle = client.get("/docs-assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self' rules
    assert client.get("/redoc").status_code == 404


def test_every_api_operation_documents_its_problems(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    checked = 0
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            errors = {k: v for k, v in operation["responses"].items() if k[0] in "45"}
            assert {"400", "422"} <= set(errors), (method, path)
            for status, response in errors.items():
                content = response["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                example = content["application/problem+json"]["example"]
                assert example["status"] == int(status) and example["type"].startswith("https://")
                assert example["title"] and example["detail"]
            checked += 1
    assert checked > 30
    session_post = schema["paths"]["/api/v1/sessions"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422"} <= set(session_post)
    login = schema["paths"]["/api/v1/auth/candidate"]["post"]["responses"]
    assert "429" in login and "403" not in login


def test_each_operation_says_how_its_caller_authenticates(client: TestClient) -> None:
    """Without securitySchemes, /docs had no Authorize button and a generated client sent no
    token (an integrator's trial)."""
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["awardingBodyToken"] == {**schemes["awardingBodyToken"], "type": "http"}
    assert schemes["awardingBodyToken"]["scheme"] == "bearer"
    paths = schema["paths"]
    assert paths["/api/v1/results"]["get"]["security"] == [{"awardingBodyToken": []}]
    assert paths["/api/v1/sessions/{session_id}/start"]["post"]["security"] == [
        {"invigilatorSession": [], "csrfToken": []}
    ]
    assert paths["/api/v1/sessions"]["get"]["security"] == [  # either caller, each its own
        {"awardingBodyToken": []},
        {"invigilatorSession": []},
    ]
    assert paths["/api/v1/attempt/answers/{position}"]["put"]["security"] == [
        {"candidateSession": [], "csrfToken": []}
    ]
    assert paths["/api/v1/attempt"]["get"]["security"] == [{"candidateSession": []}]
    assert "security" not in paths["/api/v1/auth/candidate"]["post"]  # signing in is open
    assert "security" not in paths["/.well-known/jwks.json"]["get"]
    used = {
        name for op in _operations(schema) for option in op.get("security", []) for name in option
    }
    assert used == set(schemes)


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for ops in schema["paths"].values() for op in ops.values()]


def test_body_routes_document_the_problems_of_reading_a_body(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    centres = paths["/api/v1/centres"]["post"]["responses"]
    assert {"408", "413", "415"} <= set(centres)
    assert "415" in paths["/api/v1/candidates/import"]["post"]["responses"]
    assert "413" not in paths["/api/v1/results"]["get"]["responses"]
    assert "503" in paths["/readyz"]["get"]["responses"]  # a balancer reads it


def test_documented_statuses_follow_the_route(client: TestClient) -> None:
    routes = {(r.path, m): r for r in api_routes(client.app) for m in r.methods}  # type: ignore[arg-type]
    assert 404 not in statuses_for(routes[("/api/v1/webhooks", "GET")])
    assert 404 in statuses_for(routes[("/api/v1/results", "GET")])  # ?centre= names a centre
    assert 404 in statuses_for(routes[("/api/v1/sessions/{session_id}", "GET")])
    assert 401 in statuses_for(routes[("/api/v1/attempt", "GET")])


def test_the_published_schema_speaks_json_schema_and_shows_no_made_up_examples(
    client: TestClient,
) -> None:
    """Bounds are minimum and maximum (pydantic wrote "ge"/"le" for an optional number checked
    before its bounds), and every string with a pattern of ours carries an example, so that
    /docs does not make one up from the pattern (a new user's trial saw "4<6\\L%}&DB?W")."""
    spec = client.get("/openapi.json").json()
    wrong: list[str] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            wrong.extend(f"{where}.{k}" for k in ("ge", "le", "gt", "lt") if k in node)
            ours = "\\x00" in str(node.get("pattern", ""))  # no control characters
            if node.get("type") == "string" and ours and "examples" not in node:
                wrong.append(f"{where}: no example")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(spec["components"]["schemas"], "schemas")
    assert wrong == []
    session = spec["components"]["schemas"]["SessionIn"]["properties"]
    assert session["unit"]["examples"] == ["D/601/7644"]


def test_the_schema_describes_what_examhall_sends_to_a_webhook(client: TestClient) -> None:
    """OpenAPI 3.1's `webhooks`: both messages, their signed headers, the result they carry."""
    schema = client.get("/openapi.json").json()
    assert set(schema["webhooks"]) == {"result.recorded", "result.corrected"}
    for name, operation in schema["webhooks"].items():
        post = operation["post"]
        headers = {p["name"] for p in post["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert "Standard Webhooks" in post["description"]
        body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        message = schema["components"]["schemas"][body.rsplit("/", 1)[1]]
        assert message["properties"]["type"]["const"] == name
        assert message["properties"]["data"]["$ref"].endswith("/ResultOut")
    kind = schema["components"]["schemas"]["CorrectionOut"]["properties"]["kind"]
    assert kind["enum"] == ["voided", "remarked"]
    for path in ("/api/v1/results", "/api/v1/results/corrections"):
        (limit,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "limit"]
        assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 1000)

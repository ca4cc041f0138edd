from __future__ import annotations

import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import MovableClock
from tests.awarding.conftest import QUAL
from tests.factories import bearer


def test_qualification(client: TestClient, qualification: None, token: str) -> None:
    response = client.get("/api/v1/qualifications/600-8065-6", headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "600/8065/6"
    assert (body["level"], body["total_credits"], body["min_credits_at_level_3"]) == (3, 16, 12)
    assert len(body["units"]) == 14
    assert body["units"][0] == {
        "urn": "D/601/7644",
        "title": "Principles of personal responsibilities and how to develop and evaluate own "
        "performance at work",
        "level": 3,
        "credits": 4,
        "glh": 32,
        "group": "A",
    }
    assert {u["group"] for u in body["units"]} == {"A", "B1", "B2", "B3", "B4", "B5"}


def test_unit_with_outcomes_criteria_live_counts_and_test_spec(
    client: TestClient, qualification: None, token: str
) -> None:
    body = client.get("/api/v1/units/F-503-0358", headers=bearer(token)).json()
    bank = yaml.safe_load((QUAL / "units" / "F-503-0358.yaml").read_text())
    assert (body["urn"], body["level"], body["credits"], body["group"]) == ("F/503/0358", 3, 2, "A")
    assert [o["number"] for o in body["learning_outcomes"]] == [1, 2]
    first = body["learning_outcomes"][0]["criteria"][0]
    assert first["ref"] == "01.01"
    assert first["text"].startswith("Explain the importance of different sources of feedback")
    live = sum(c["live_items"] for o in body["learning_outcomes"] for c in o["criteria"])
    assert live == sum(1 for i in bank["items"] if i["status"] == "live")
    spec = bank["test_spec"]
    assert body["test_spec"] == {
        k: spec[k] for k in ("items", "duration_minutes", "pass_mark_percent")
    }


def test_a_unit_without_a_bank_has_no_live_items_and_no_spec(
    client: TestClient, qualification: None, token: str
) -> None:
    body = client.get("/api/v1/units/D-601-7644", headers=bearer(token)).json()
    assert body["test_spec"] is None
    assert all(c["live_items"] == 0 for o in body["learning_outcomes"] for c in o["criteria"])


def test_unit_items_give_the_current_version_with_key_and_opaque_option_ids(
    client: TestClient, qualification: None, token: str
) -> None:
    items = client.get("/api/v1/units/F-503-0358/items", headers=bearer(token)).json()
    bank = yaml.safe_load((QUAL / "units" / "F-503-0358.yaml").read_text())
    assert len(items) == len(bank["items"])
    first = items[0]
    assert set(first) >= {"id", "version", "criterion", "stem", "options", "key", "status"}
    assert first["version"] == 1 and first["status"] == "live"
    for item in items:
        ids = [o["id"] for o in item["options"]]
        assert item["key"] in ids
        assert not set(ids) & {"a", "b", "c", "d", "1", "2", "3", "4", "A", "B", "C", "D"}
        assert set(item["options"][0]) == {"id", "text"}  # no rationale leaks through options


def test_unknown_or_malformed_units_and_qualifications_are_404(
    client: TestClient, qualification: None, token: str
) -> None:
    for path in (
        "/api/v1/units/Z-999-9999",
        "/api/v1/units/nonsense",
        "/api/v1/units/D-601-7644x/items",
        "/api/v1/qualifications/123-4567-8",
        "/api/v1/qualifications/600",
    ):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


def test_reading_the_specification_needs_admin(
    client: TestClient, qualification: None, db: Session, clock: MovableClock
) -> None:
    from app.auth import tokens

    _, reader = tokens.create_token(db, "reader", [tokens.RESULTS_READ], clock.now())
    assert client.get("/api/v1/units/F-503-0358/items", headers=bearer(reader)).status_code == 403
    assert client.get("/api/v1/units/F-503-0358/items").status_code == 401

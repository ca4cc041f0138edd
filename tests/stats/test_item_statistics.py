"""GET /api/v1/units/{unit}/item-statistics against an independent computation, on simulated
sittings of randomised papers (Rasch responses, one planted item that the able get wrong)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from scipy.special import expit

from app.auth import tokens
from app.qualifications import service as qualifications
from tests.factories import bearer
from tests.stats.conftest import UNIT, UNIT_PATH, Simulation
from tests.stats.reference import close, reference

URL = f"/api/v1/units/{UNIT_PATH}/item-statistics"
PLANTED = "F5030358-007"


def fetch(client: TestClient, sim: Simulation, **params: Any) -> dict[str, Any]:
    response = client.get(URL, params=params, headers=bearer(sim.token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_matches(body: dict[str, Any], expected: dict[str, Any]) -> None:
    assert body["candidates"] == expected["candidates"]
    got = {(i["item_id"], i["version"]): i for i in body["items"]}
    assert set(got) == set(expected["items"])
    for key, want in expected["items"].items():
        item = got[key]
        assert item["n"] == want["n"], key
        for name in ("facility", "discrimination", "upper_lower", "omit_rate"):
            assert close(item[name], want[name]), (key, name, item[name], want[name])
        assert close(item["median_seconds"], want["median_seconds"]), key
        assert item["excluded"] == want["excluded"]
        assert [o["id"] for o in item["options"]] == [o["id"] for o in want["options"]]
        for option, other in zip(item["options"], want["options"], strict=True):
            assert option["text"] == other["text"]
            assert option["chosen"] == other["chosen"], (key, option["id"])
            assert option["is_key"] == other["is_key"]
            assert close(option["point_biserial"], other["point_biserial"]), (key, option)
            assert close(option["mean_percent"], other["mean_percent"]), (key, option)
        assert sum(o["chosen"] for o in item["options"]) <= item["n"]
    assert close(body["mean_percent"], expected["mean_percent"])
    assert close(body["sd_percent"], expected["sd_percent"])
    assert close(body["median_percent"], expected["median_percent"])
    assert [b["candidates"] for b in body["distribution"]] == expected["bands"]


def test_every_figure_matches_an_independent_computation(
    sim: Simulation, client: TestClient
) -> None:
    sim.planted[PLANTED] = lambda theta: float(expit(-2.5 * theta))
    sim.sit("C0042", 90)
    body = fetch(client, sim)
    assert body["unit"] == UNIT
    unit = qualifications.get_unit(sim.db, UNIT)
    assert_matches(body, reference(sim.db, unit.id))

    items = {i["item_id"]: i for i in body["items"]}
    planted = items[PLANTED]
    assert planted["discrimination"] < 0
    assert "negative_discrimination" in planted["flags"]
    # The key's point-biserial is the contract's discrimination (the same criterion).
    key = next(o for o in planted["options"] if o["is_key"])
    assert key["point_biserial"] == pytest.approx(planted["discrimination"])
    # The planted curve falls steeply with ability: clearly negative, whatever the papers.
    assert planted["discrimination"] < -0.2
    for item in body["items"]:
        assert ("insufficient_data" in item["flags"]) == (item["n"] < 30)
        negative = item["discrimination"] is not None and item["discrimination"] < 0
        assert ("negative_discrimination" in item["flags"]) == negative
    # Rasch items discriminate positively on the whole.
    values = [i["discrimination"] for i in body["items"] if i["discrimination"] is not None]
    assert sum(values) / len(values) > 0.1
    assert sum(b["candidates"] for b in body["distribution"]) == 90


def test_small_samples_are_flagged_insufficient(sim: Simulation, client: TestClient) -> None:
    sim.sit("C0042", 12)
    body = fetch(client, sim)
    assert body["candidates"] == 12
    assert body["items"] and all("insufficient_data" in i["flags"] for i in body["items"])
    # no review flag below the sample-size gate
    review = {"low_facility", "high_facility", "low_discrimination", "distractor_unchosen"}
    assert not any(review & set(i["flags"]) for i in body["items"])
    assert all(i["n"] < 30 for i in body["items"])


def test_window_and_centre_filters(sim: Simulation, client: TestClient) -> None:
    sim.clock.set(datetime(2026, 6, 1, 9, tzinfo=UTC))
    sim.sit("C0042", 10)
    sim.clock.set(datetime(2026, 6, 2, 9, tzinfo=UTC))
    sim.sit("C0099", 8)
    sim.clock.set(datetime(2026, 6, 3, 9, tzinfo=UTC))
    sim.sit("C0042", 6)
    unit = qualifications.get_unit(sim.db, UNIT)
    day = timedelta(days=1)
    june = datetime(2026, 6, 1, tzinfo=UTC)
    cases: list[tuple[dict[str, str], dict[str, Any], int]] = [
        ({}, {}, 24),
        ({"centre": "C0042"}, {"centre": "C0042"}, 16),
        ({"centre": "C0099"}, {"centre": "C0099"}, 8),
        ({"from": "2026-06-02"}, {"start": june + day}, 14),
        ({"to": "2026-06-02"}, {"end": june + 2 * day}, 18),  # a date 'to' takes in the day
        (
            {"from": "2026-06-02", "to": "2026-06-02"},
            {"start": june + day, "end": june + 2 * day},
            8,
        ),
        (
            {"from": "2026-06-01T00:00:00Z", "to": "2026-06-02T00:00:00+00:00"},
            {"start": june, "end": june + day},
            10,
        ),
        ({"centre": "C0042", "from": "2026-06-02"}, {"centre": "C0042", "start": june + day}, 6),
    ]
    for params, filters, count in cases:
        body = fetch(client, sim, **params)
        assert body["candidates"] == count, params
        assert_matches(body, reference(sim.db, unit.id, **filters))
    empty = fetch(client, sim, **{"from": "2027-01-01"})
    assert empty["candidates"] == 0 and empty["items"] == []
    assert empty["mean_percent"] is None


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/units/X-999-9999/item-statistics", {}, 404),
        ("/api/v1/units/not-a-unit/item-statistics", {}, 404),
        (URL, {"centre": "C9999"}, 404),
        (URL, {"from": "yesterday"}, 422),
        (URL, {"to": "2026-13-01"}, 422),
        (URL, {"from": "2026-06-01T09:00:00"}, 422),  # no offset
        (URL, {"from": "2026-06-02", "to": "2026-06-01"}, 422),
        (URL, {"from": "2026-06-01T10:00:00Z", "to": "2026-06-01T10:00:00Z"}, 422),
        (URL, {"to": "10000-01-01"}, 422),  # 9999-12-31 is a date (the last: no end)
        (URL, {"from": "x" * 41}, 422),
        (URL, {"centre": "C" * 21}, 422),
    ],
)
def test_bad_parameters_are_problems(
    sim: Simulation, client: TestClient, path: str, params: dict[str, str], status: int
) -> None:
    response = client.get(path, params=params, headers=bearer(sim.token))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status


def test_only_an_admin_token_reads_statistics(sim: Simulation, client: TestClient) -> None:
    assert client.get(URL).status_code == 401
    _, reader = tokens.create_token(sim.db, "reader", [tokens.RESULTS_READ], sim.clock.now())
    assert client.get(URL, headers=bearer(reader)).status_code == 403

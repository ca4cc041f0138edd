from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth import tokens
from app.clock import MovableClock
from tests.factories import bearer


@pytest.fixture
def centre(client: TestClient, token: str) -> None:
    assert (
        client.post(
            "/api/v1/centres", json={"code": "C0042", "name": "Leeds"}, headers=bearer(token)
        ).status_code
        == 201
    )


def candidate(client: TestClient, token: str, number: str = "N1001", **extra: Any) -> Any:
    body = {
        "candidate_number": number,
        "centre": "C0042",
        "first_name": "Ada",
        "last_name": "Lovelace",
        **extra,
    }
    return client.post("/api/v1/candidates", json=body, headers=bearer(token))


def portfolio(
    client: TestClient, token: str, unit: str, number: str = "N1001", on: str = "2026-03-01"
) -> Any:
    body = {"unit": unit, "outcome": "pass", "method": "portfolio", "achieved_on": on}
    return client.post(
        f"/api/v1/candidates/{number}/unit-results", json=body, headers=bearer(token)
    )


def test_create_a_candidate_with_an_access_arrangement(
    client: TestClient, token: str, centre: None
) -> None:
    response = candidate(client, token, extra_time_percent=25)
    assert response.status_code == 201
    assert response.json()["extra_time_percent"] == 25
    assert (
        client.get("/api/v1/candidates/N1001", headers=bearer(token)).json()["last_name"]
        == "Lovelace"
    )


def test_candidate_numbers_are_unique(client: TestClient, token: str, centre: None) -> None:
    assert candidate(client, token).status_code == 201
    assert candidate(client, token).status_code == 409


def test_a_number_differing_only_in_case_is_the_same_number(
    client: TestClient, token: str, centre: None, qualification: None
) -> None:
    """Sign-in and the invigilator's actions match a number in any case, so registration does
    too: otherwise an action on t1-0001 could reach T1-0001 (found by a new user's trial)."""
    assert candidate(client, token, "T1-0001").status_code == 201
    refused = candidate(client, token, "t1-0001")
    assert refused.status_code == 409
    assert "T1-0001 already exists" in refused.json()["detail"]
    found = client.get("/api/v1/candidates/t1-0001", headers=bearer(token))
    assert found.status_code == 200
    assert found.json()["candidate_number"] == "T1-0001"  # as registered
    held = portfolio(client, token, "K/503/0399", number="t1-0001")
    assert held.status_code == 201 and held.json()["candidate_number"] == "T1-0001"
    csv = b"candidate_number,centre,first_name,last_name\nt1-0001,C0042,Grace,Hopper\n"
    imported = client.post(
        "/api/v1/candidates/import",
        content=csv,
        headers={**bearer(token), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 422, imported.text
    assert "registered already" in imported.text


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("\u200b", "visible character"),  # zero-width space
        ("\u00ad\u200b", "visible character"),  # a soft hyphen
        ("\ufeff", "visible character"),  # a byte order mark
        ("\u202eevil", "direction controls"),  # right-to-left override
        ("Ada\u2066", "direction controls"),
    ],
)
def test_a_name_prints_something_and_in_order(
    client: TestClient, token: str, centre: None, name: str, why: str
) -> None:
    """Names of invisible characters alone (blank on a register and a slip), or with direction
    controls that reorder what is printed around them, were registered (a trial)."""
    refused = candidate(client, token, first_name=name)
    assert refused.status_code == 422 and why in refused.text, refused.text
    place = {"code": "C0099", "name": name}
    assert client.post("/api/v1/centres", json=place, headers=bearer(token)).status_code == 422
    csv = f"candidate_number,centre,first_name,last_name\nT9-0001,C0042,Ann,{name}\n".encode()
    upload = client.post(
        "/api/v1/candidates/import",
        content=csv,
        headers={**bearer(token), "Content-Type": "text/csv"},
    )
    assert upload.status_code == 422 and "last_name" in upload.text
    # joiners inside a real name (Indic scripts need them) and accents stay welcome
    for good, number in (("\u0915\u094d\u200d\u0937", "N2001"), ("Siobh\u00e1n", "N2002")):
        assert candidate(client, token, number, first_name=good).status_code == 201


@pytest.mark.parametrize("media", ["application/json", "multipart/form-data; boundary=x"])
def test_an_upload_that_is_not_csv_is_a_415(
    client: TestClient, token: str, centre: None, media: str
) -> None:
    """A JSON body was read as CSV and answered 'column missing' (a trial)."""
    body = b'{"candidate_number": "T1-0002", "centre": "C0042"}'
    refused = client.post(
        "/api/v1/candidates/import", content=body, headers={**bearer(token), "Content-Type": media}
    )
    assert refused.status_code == 415, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "text/csv" in refused.json()["detail"]


@pytest.mark.parametrize(
    "extra",
    [
        {"extra_time_percent": "25"},
        {"extra_time_percent": True},
        {"extra_time_percent": 25.5},
        {"rest_breaks": "yes"},
        {"rest_breaks": 1},
    ],
)
def test_numbers_and_flags_are_json_numbers_and_booleans(
    client: TestClient, token: str, centre: None, extra: dict[str, Any]
) -> None:
    """JSON's true is not 1 and "25" is not 25: a client sending either has a bug to hear of."""
    response = candidate(client, token, **extra)
    assert response.status_code == 422, response.text
    assert client.get("/api/v1/candidates/N1001", headers=bearer(token)).status_code == 404


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"centre": "NOPE"}, 404),
        ({"extra_time_percent": -5}, 422),
        ({"candidate_number": "has space"}, 422),
        ({"first_name": ""}, 422),
        ({"unexpected": 1}, 422),
    ],
)
def test_bad_candidates_are_refused(
    client: TestClient, token: str, centre: None, extra: dict[str, Any], status: int
) -> None:
    assert candidate(client, token, **extra).status_code == status


def test_centres_and_invigilators(client: TestClient, token: str, centre: None) -> None:
    assert (
        client.post(
            "/api/v1/centres", json={"code": "c0042", "name": "Again"}, headers=bearer(token)
        ).status_code
        == 409
    )
    ok = client.post(
        "/api/v1/centres/C0042/invigilators",
        json={"username": "ann", "password": "long enough pw"},
        headers=bearer(token),
    )
    assert ok.status_code == 201 and ok.json() == {"centre": "C0042", "username": "ann"}
    again = client.post(
        "/api/v1/centres/C0042/invigilators",
        json={"username": "ANN", "password": "long enough pw"},
        headers=bearer(token),
    )
    assert again.status_code == 409
    short = client.post(
        "/api/v1/centres/C0042/invigilators",
        json={"username": "bob", "password": "short"},
        headers=bearer(token),
    )
    assert short.status_code == 422
    missing = client.post(
        "/api/v1/centres/NOPE/invigilators",
        json={"username": "bob", "password": "long enough pw"},
        headers=bearer(token),
    )
    assert missing.status_code == 404


def test_portfolio_results_and_achievement(
    client: TestClient, token: str, centre: None, qualification: None
) -> None:
    candidate(client, token)
    for unit in ("D/601/7644", "F/503/0358", "L/503/0363", "K/503/0399"):
        assert portfolio(client, token, unit).status_code == 201
    body = client.get("/api/v1/candidates/N1001/achievement", headers=bearer(token)).json()
    assert body["qualification"] == "600/8065/6"
    assert body["achieved"] is False
    assert (body["credits"], body["credits_at_level_3"]) == (14, 14)
    assert body["unmet"] == [
        "16 credits needed; 14 counted",
        "Group B: at least 7 credits needed; 5 counted",
    ]
    assert portfolio(client, token, "Y/503/0396").status_code == 201
    body = client.get("/api/v1/candidates/N1001/achievement", headers=bearer(token)).json()
    assert body["achieved"] is True and body["unmet"] == [] and body["credits"] == 17
    assert {u["unit"]: (u["group"], u["method"], u["counted"]) for u in body["units"]}[
        "K/503/0399"
    ] == (
        "B1",
        "portfolio",
        True,
    )
    # a barred pair: one counts, the other says why not (the console showed a bare "No")
    for unit in ("T/503/0373", "Y/503/0365"):
        assert portfolio(client, token, unit).status_code == 201
    units = client.get("/api/v1/candidates/N1001/achievement", headers=bearer(token)).json()
    why = {u["unit"]: u["not_counted_because"] for u in units["units"]}
    assert why["T/503/0373"] is None
    assert why["Y/503/0365"] == "barred with T/503/0373, which counts instead"


def test_barred_units_are_listed_but_not_both_counted(
    client: TestClient, token: str, centre: None, qualification: None
) -> None:
    candidate(client, token)
    for unit in ("D/601/7644", "F/503/0358", "L/503/0363", "T/503/0373", "Y/503/0365"):
        portfolio(client, token, unit)
    body = client.get("/api/v1/candidates/N1001/achievement", headers=bearer(token)).json()
    counted = {u["unit"]: u["counted"] for u in body["units"]}
    assert counted["T/503/0373"] is True and counted["Y/503/0365"] is False
    assert body["achieved"] is False and body["credits"] == 13


def test_results_read_tokens_may_read_achievement_only(
    client: TestClient,
    token: str,
    centre: None,
    qualification: None,
    db: Session,
    clock: MovableClock,
) -> None:
    candidate(client, token)
    _, reader = tokens.create_token(db, "puller", [tokens.RESULTS_READ], clock.now())
    assert (
        client.get("/api/v1/candidates/N1001/achievement", headers=bearer(reader)).status_code
        == 200
    )
    assert portfolio(client, reader, "D/601/7644").status_code == 403


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (
            {
                "unit": "Z/999/9999",
                "outcome": "pass",
                "method": "portfolio",
                "achieved_on": "2026-01-01",
            },
            404,
        ),
        (
            {
                "unit": "D/601/7644",
                "outcome": "fail",
                "method": "portfolio",
                "achieved_on": "2026-01-01",
            },
            422,
        ),
        (
            {
                "unit": "D/601/7644",
                "outcome": "pass",
                "method": "exam",
                "achieved_on": "2026-01-01",
            },
            422,
        ),
        (
            {
                "unit": "D/601/7644",
                "outcome": "pass",
                "method": "portfolio",
                "achieved_on": "2027-13-01",
            },
            422,
        ),
        (
            {
                "unit": "D/601/7644",
                "outcome": "pass",
                "method": "portfolio",
                "achieved_on": "2099-01-01",
            },
            422,
        ),
    ],
)
def test_bad_unit_results_are_refused(
    client: TestClient,
    token: str,
    centre: None,
    qualification: None,
    body: dict[str, str],
    status: int,
) -> None:
    candidate(client, token)
    response = client.post(
        "/api/v1/candidates/N1001/unit-results", json=body, headers=bearer(token)
    )
    assert response.status_code == status, response.text


def test_the_same_portfolio_unit_twice_is_a_conflict(
    client: TestClient, token: str, centre: None, qualification: None
) -> None:
    candidate(client, token)
    assert portfolio(client, token, "D/601/7644").status_code == 201
    assert portfolio(client, token, "D/601/7644").status_code == 409


def test_unknown_candidate(client: TestClient, token: str, qualification: None) -> None:
    assert (
        client.get("/api/v1/candidates/NOBODY/achievement", headers=bearer(token)).status_code
        == 404
    )
    assert portfolio(client, token, "D/601/7644", number="NOBODY").status_code == 404


def test_a_number_taken_between_the_check_and_the_insert_is_a_conflict(
    client: TestClient, token: str, centre: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two registrations racing past the check: the database's unique index decides, and the
    loser hears 409, not 500 (the check is made to miss, as a concurrent request would)."""
    from app.candidates import repository

    assert candidate(client, token, "R1-0001").status_code == 201
    monkeypatch.setattr(repository, "by_number", lambda db, number: None)
    raced = candidate(client, token, "r1-0001")
    assert raced.status_code == 409, raced.text
    assert raced.headers["content-type"].startswith("application/problem+json")

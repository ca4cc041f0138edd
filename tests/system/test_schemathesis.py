"""A bounded schemathesis run over the whole API, as each kind of caller.

Every operation in /openapi.json is called with generated data (valid and invalid), as the
awarding body (bearer), an invigilator (cookie + CSRF) and a candidate (cookie + CSRF). Every
check schemathesis has must pass: no 5xx, every status and content type documented (problems
as application/problem+json), every body matching its schema. Bounded: a few examples per
operation, derandomised, so the run is the same every time and takes well under a minute.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from starlette.testclient import TestClient

from app.auth import tokens
from app.banks.service import load_dir
from app.candidates import service as candidates
from app.centres import service as centres
from app.clock import MovableClock
from app.db import make_engine, make_sessionmaker, transaction
from app.main import create_app
from app.migrate import upgrade
from tests.conftest import make_settings
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
QUAL = ROOT / "question_banks" / "600-8065-6"
EXAMPLES = 4


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An app on its own SQLite database with one open sitting and a caller of each kind."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite:///{tmp / 'api.db'}"
    upgrade(url)
    clock = MovableClock()
    engine = make_engine(url)
    banks = tmp / "banks" / "600-8065-6"
    (banks / "units").mkdir(parents=True)
    shutil.copy(QUAL / "qualification.yaml", banks)
    shutil.copy(QUAL / "units" / "F-503-0358.yaml", banks / "units")
    with transaction(make_sessionmaker(engine)) as db:
        load_dir(db, tmp / "banks", clock.now())
        _, token = tokens.create_token(db, "fuzz", [tokens.ADMIN], clock.now())
        centres.create_centre(db, "C0042", "Leeds", clock.now())
        centres.create_invigilator(db, "C0042", "ann", PASSWORD, clock.now())
        for n in range(1, 4):
            candidates.create_candidate(
                db,
                clock.now(),
                candidate_number=f"N{n:03d}",
                centre="C0042",
                first_name="Fuzz",
                last_name=str(n),
            )
    app = create_app(make_settings(url), clock=clock, engine=engine)
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        body = {
            "centre": "C0042",
            "unit": "F/503/0358",
            "scheduled_start": "2026-06-01T09:00:00Z",
            "candidates": ["N001", "N002", "N003"],
        }
        session = client.post("/api/v1/sessions", json=body, headers=bearer).json()
        staff_csrf = client.post(
            "/api/v1/auth/invigilator",
            json={"centre": "C0042", "username": "ann", "password": PASSWORD},
        ).json()["csrf_token"]
        client.post(f"/api/v1/sessions/{session['id']}/start", headers={"X-CSRF-Token": staff_csrf})
        staff_cookie = client.cookies.get("examhall_staff")
        client.cookies.clear()
        own = {c["candidate_number"]: c["access_code"] for c in session["candidates"]}
        cand = client.post(
            "/api/v1/auth/candidate", json={"candidate_number": "N001", "access_code": own["N001"]}
        ).json()
        cand_cookie = client.cookies.get("examhall_candidate")
    callers = {
        "awarding-body": bearer,
        "invigilator": {
            "Cookie": f"examhall_staff={staff_cookie}",
            "X-CSRF-Token": staff_csrf,
        },
        "candidate": {
            "Cookie": f"examhall_candidate={cand_cookie}",
            "X-CSRF-Token": cand["csrf_token"],
        },
    }
    yield {"app": app, "callers": callers}
    engine.dispose()


BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


# Every check at its default, but one allowance: a body the schema accepts can still break a
# rule of the domain that no schema can state (an option id that is not on this candidate's
# paper, a CSV file with no rows, a cursor the service never gave out); that is a 400 or 422
# problem naming the rule, not a defect.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]
            }
        }
    }
)


def _run_every_operation(world: dict[str, Any], caller: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world["app"], config=CONFIG)
    headers = world["callers"][caller]
    failures: list[str] = []
    operations = 0
    for found in schema.get_all_operations():
        assert isinstance(found, Ok), found
        operation = found.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @BOUNDED
        def check(case: Any) -> None:
            case.call_and_validate(headers={**(case.headers or {}), **headers})

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations > 30
    assert failures == [], "\n\n".join(failures)


def test_every_operation_as_the_awarding_body(world: dict[str, Any]) -> None:
    _run_every_operation(world, "awarding-body")


def test_every_operation_as_an_invigilator(world: dict[str, Any]) -> None:
    _run_every_operation(world, "invigilator")


def test_every_operation_as_a_candidate(world: dict[str, Any]) -> None:
    _run_every_operation(world, "candidate")

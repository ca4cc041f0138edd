import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.clock import MovableClock
from app.db import PROBE_CONNECTIONS, PROBE_WAIT, make_engine
from app.main import create_app
from app.migrate import alembic_config, head_revision, revision_on, upgrade
from tests.conftest import make_settings, postgres_database
from tests.statements import statements


def test_healthz_says_the_process_is_up(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_ready_when_the_schema_is_at_head(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "revision": head_revision(),
        "in_flight": 0,
        "waiting": 0,
        "limit": client.app.state.load.limit,  # type: ignore[attr-defined]
        "saturated": False,
    }


def test_readyz_reports_saturation_and_stays_ready(client: TestClient) -> None:
    """Every slot busy and as many again queued: said in the body, not by failing the check,
    or a balancer whose servers are all busy takes them all out and answers only 503s."""
    load = client.app.state.load  # type: ignore[attr-defined]
    load.in_flight, load.waiting = load.limit, load.limit
    try:
        response = client.get("/readyz")
    finally:
        load.in_flight, load.waiting = 0, 0
    assert response.status_code == 200
    body = response.json()
    assert body["saturated"] is True
    assert (body["in_flight"], body["waiting"]) == (load.limit, load.limit)


def test_readyz_is_503_on_a_database_without_the_schema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    with TestClient(create_app(make_settings(url), clock=MovableClock(), engine=engine)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "examhall db upgrade" in response.json()["detail"]


def test_readyz_is_503_when_the_database_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app(make_settings(url), clock=MovableClock())
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"] == "The database cannot be reached."
    # the reason goes to the log, for the operator, not to the balancer
    (record,) = [r for r in caplog.records if r.getMessage().startswith("not ready")]
    assert record.exc_info is not None and "127.0.0.1" in caplog.text


def test_home_page_links_to_both_entrances(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/exam"' in response.text and 'href="/invigilate"' in response.text
    assert 'class="skip-link" href="#main"' in response.text


@pytest.fixture
def empty(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with nothing in it, on each backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with postgres_database("empty") as url:
        yield url


def test_the_schemas_revision_is_one_select_and_alembic_tells_the_rest(
    engine: Engine, empty: str
) -> None:
    """/readyz reads the revision on every balancer check: one statement at head; no table
    yet is None (the connection still usable afterwards, PostgreSQL's included), and a schema
    behind the head reads as the revision it is at."""
    with statements(engine) as sent, engine.connect() as conn:
        assert revision_on(conn) == head_revision()
    assert len([s for s in sent if "alembic_version" in s]) == 1

    fresh = make_engine(empty)
    try:
        with fresh.connect() as conn:
            assert revision_on(conn) is None
            assert conn.execute(text("SELECT 1")).scalar() == 1
        script = ScriptDirectory.from_config(alembic_config(empty))
        revision = head_revision()
        assert revision is not None
        head = script.get_revision(revision)
        assert head is not None and isinstance(head.down_revision, str)
        upgrade(empty, head.down_revision)
        with fresh.connect() as conn:
            assert revision_on(conn) == head.down_revision
    finally:
        fresh.dispose()


def test_readyz_answers_while_every_request_connection_is_taken(empty: str) -> None:
    """Every connection of the requests' pool held (a full cap, the sweeper, a stream
    opening): /readyz still answers, on a connection of its own. On the requests' pool it
    waited out the pool's 30-s timeout and then said 503: far past a balancer's check timeout
    (5 s in bench/national), which takes a server out after a few such checks."""
    upgrade(empty)
    app = create_app(make_settings(empty), clock=MovableClock())
    with TestClient(app) as client:
        engine = app.state.engine
        assert app.state.probe_engine is not engine
        held = [engine.connect() for _ in range(engine.pool.size())]
        try:
            response = client.get("/readyz")
        finally:
            for conn in held:
                conn.close()
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


def test_readyz_waits_a_bounded_time_for_its_own_connection(empty: str) -> None:
    """The probe's own connections all held (checks piling up on a database that no longer
    answers): a check is 503 after PROBE_WAIT, not a wait without end."""
    upgrade(empty)
    app = create_app(make_settings(empty), clock=MovableClock())
    with TestClient(app) as client:
        probe = app.state.probe_engine
        held = [probe.connect() for _ in range(PROBE_CONNECTIONS)]  # the kept and the extra
        try:
            started = time.monotonic()
            response = client.get("/readyz")
            waited = time.monotonic() - started
        finally:
            for conn in held:
                conn.close()
        # A timeout's behaviour, not a speed target: it waited, and for PROBE_WAIT, not for
        # SQLAlchemy's default 30 s.
        assert PROBE_WAIT <= waited < PROBE_WAIT + 10
        assert response.status_code == 503
        assert response.json()["detail"] == "The database cannot be reached."
        assert client.get("/readyz").status_code == 200  # and ready again once they are back

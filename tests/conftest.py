"""Shared fixtures: databases built by the migrations, a rolled-back transaction per test,
a movable clock, and an app client.

Every test that uses `db` or `client` runs on SQLite, and on PostgreSQL too when
EXAMHALL_TEST_POSTGRES_URL is set. In CI (CI=true) a missing PostgreSQL is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from app.clock import MovableClock
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _worker_database(url: str) -> str:
    """Under pytest-xdist (`make test` runs a worker per core) each worker gets a database of
    its own beside the one EXAMHALL_TEST_POSTGRES_URL names (examhall_ci_gw0, ...), made on
    first use: the tests reset their database's schema, so two workers cannot share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(
        base.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = _worker_database(os.environ.get("EXAMHALL_TEST_POSTGRES_URL", ""))
TEST_SECRET = "test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
# One key seals signing keys and webhook secrets for every Settings in the test process (an app's,
# or the environment's that services use outside an app), so that they can open each other's.
os.environ.setdefault("EXAMHALL_KEY_ENCRYPTION_KEY", "test-key-encryption-key-0123456789abcdef")


@contextmanager
def postgres_database(suffix: str) -> Iterator[str]:
    """The URL of an empty PostgreSQL database of its own beside the test database (named
    with `suffix`), dropped afterwards. Skips (fails in CI) without PostgreSQL."""
    if not POSTGRES_URL:
        missing("PostgreSQL", "set EXAMHALL_TEST_POSTGRES_URL")
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{suffix}"
    admin = make_engine(
        base.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def missing(component: str, why: str) -> None:
    """Skip outside CI; in CI a missing component is a failure, not a skip."""
    if IN_CI:
        pytest.fail(f"{component} is required in CI: {why}")
    pytest.skip(f"{component} not available: {why}")


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "postgres":
        if not POSTGRES_URL:
            missing(
                "PostgreSQL",
                "set EXAMHALL_TEST_POSTGRES_URL to an empty database (.ci/run does)",
            )
        reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database built from empty by the migrations, once per backend."""
    url = database_url(backend, tmp_path_factory)
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def make_settings(url: str, **overrides: object) -> Settings:
    # No background sweeper or webhook worker: tests share one connection and move the clock
    # themselves.
    values: dict[str, object] = {
        "env": "test",
        "secret_key": TEST_SECRET,
        "database_url": url,
        "sweeper": False,
        "webhook_worker": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return make_settings(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def app(settings: Settings, clock: MovableClock, engine: Engine, connection: Connection) -> FastAPI:
    app = create_app(settings, clock=clock, engine=engine)
    # Every request's unit of work runs inside the test's transaction, as a savepoint.
    app.state.sessionmaker = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path

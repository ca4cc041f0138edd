"""Alembic, driven from code: the CLI's `db upgrade`, readiness checks and the tests use it."""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.web import ROOT

MIGRATIONS_DIR = ROOT / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' is Alembic's interpolation character; a URL may contain it (encoded passwords)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def upgrade_from(database_url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade to `revision` (Alembic never goes down on an upgrade); the schema's revisions
    before and after. CommandError for a revision that cannot be found or reached."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        before = current_revision(engine)
        upgrade(database_url, revision)
        return before, current_revision(engine)
    finally:
        engine.dispose()


def resolved(revision: str) -> str | None:
    """The full id `revision` names ("head", a unique prefix), None when it names none alone
    (a relative one such as +1)."""
    try:
        script = _scripts().get_revision(revision)
    except CommandError:
        return None
    return None if script is None else script.revision


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


@cache
def head_revision() -> str | None:
    """The newest migration shipped with this code. Read once per process: Alembic compiles
    every migration file to find it (about 100 ms of CPU), and /readyz, which a load balancer
    asks every few seconds, compares against it (bench/national found it a fifth of a
    server's CPU)."""
    return _scripts().get_current_head()


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:  # alembic's ResolutionError is one
        return False


def not_at_head(current: str | None) -> str | None:
    """Why this code cannot serve a schema at `current` (None when it is at the head), as
    /readyz and `examhall serve` say it: "schema is at X, not Y: run ..."."""
    head = head_revision()
    if current == head:
        return None
    if current is not None and not _known(current):  # upgraded by a newer release
        return (
            f"schema is at {current}, not {head}: a revision this release does not know"
            " (a newer release's?); serve it with that release"
        )
    return f"schema is at {current}, not {head}: run `examhall db upgrade`"


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return revision_on(conn)


# Alembic's own table (its default name: alembic.ini and env.py keep it).
_VERSIONS = text("SELECT version_num FROM alembic_version")


def revision_on(conn: Connection) -> str | None:
    """The schema's revision. /readyz asks on every balancer check: one SELECT of Alembic's
    table (0.03 ms of CPU), not an Alembic context (0.36 ms; in a national run's steady state
    about 2 % of a server's CPU). Anything else (no table yet, several heads, a failed read)
    goes to Alembic, which tells them apart or raises as it would have."""
    try:
        found = conn.execute(_VERSIONS).scalars().all()
    except DBAPIError:
        conn.rollback()  # PostgreSQL refuses more in a failed transaction
    else:
        if len(found) == 1:
            return str(found[0])
    return MigrationContext.configure(conn).get_current_revision()

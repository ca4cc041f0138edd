"""The schema comes only from the migrations, and the models never drift from them."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect
from sqlalchemy.exc import IntegrityError

from app.candidates.models import Candidate
from app.centres.models import Centre
from app.migrate import current_revision, head_revision
from app.models import Base


def test_upgrade_from_empty_reaches_head_with_every_table(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


# SQLite cannot reflect an index on an expression, so alembic cannot compare it there (it says
# so); PostgreSQL compares it, and the test below checks what the index does on both.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_autogenerate_finds_no_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_there_is_a_single_head() -> None:
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()) == 1


def test_candidate_numbers_differing_only_in_case_cannot_both_be_stored(engine: Engine) -> None:
    """The migrated schema itself refuses the pair (uq_candidates_number_folded), whatever
    the code in front of it checks: a race between two registrations cannot store both."""
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    person = {"first_name": "A", "last_name": "B", "extra_time_percent": 0}
    with engine.begin() as conn:
        centre_id = conn.execute(
            insert(Centre).values(code="FOLD1", name="Fold", created_at=now).returning(Centre.id)
        ).scalar_one()
        row = {**person, "centre_id": centre_id, "rest_breaks": False, "display": {}}
        conn.execute(insert(Candidate).values(candidate_number="FD-0001", created_at=now, **row))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Candidate).values(candidate_number="fd-0001", created_at=now, **row))


def test_the_trigger_that_numbers_page_changes_is_there_at_head(engine: Engine) -> None:
    """attempts_page_seq (migration 3c1e5a7d9b02) numbers each change to what an exam page
    shows; the room's loop finds changes by it. A later migration that rebuilds the attempts
    table on SQLite drops the trigger with the table: it must create it again."""
    if engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'attempts'"
    else:
        query = (
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'attempts'::regclass"
            " AND NOT tgisinternal"
        )
    with engine.connect() as conn:
        assert conn.exec_driver_sql(query).scalars().all() == ["attempts_page_seq"]

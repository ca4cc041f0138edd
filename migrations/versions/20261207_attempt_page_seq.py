"""attempts.page_seq: the order in which what each exam page shows last changed

A trigger gives an attempt the next number whenever one of the columns its exam page follows
(app/sittings/repository.FINGERPRINT) changes, in the transaction that changes it, whoever
writes it (the ORM, a bulk UPDATE, the sweeper). The room's loop reads it each second
(app/sittings/events.py): on SQLite, whose writes are serial, the numbers grow in commit order,
so the rows past the last number read are every change since; on PostgreSQL they do not (two
transactions commit in either order), so each open page's number is compared instead.

A later migration that rebuilds the attempts table on SQLite (a batch "move and copy") drops
the trigger with the table, and must create it again (tests/system/test_migrations.py checks
it is there at head).

Revision ID: 3c1e5a7d9b02
Revises: 9a3c5e7f1b24
Create Date: 2026-12-07 13:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3c1e5a7d9b02'
down_revision: str | None = '9a3c5e7f1b24'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# app/sittings/repository.FINGERPRINT, as it stands at this revision (a migration does not
# import the application: a later change there must come with a migration of its own).
FOLLOWED = ('status', 'allowed_seconds', 'paused_seconds', 'admission', 'break_started_at', 'reading_until')


def _changed(is_not: str) -> str:
    return ' OR '.join(f'NEW.{c} {is_not} OLD.{c}' for c in FOLLOWED)


# SQLite: the numbers from a row of counters, never from max(page_seq) + 1, which would give
# out again the numbers of attempts deleted by hand (and a reader past them would skip them);
# the row made again if it was deleted (or every change to a page would fail on NULL).
SQLITE_TRIGGER = f"""
CREATE TRIGGER attempts_page_seq AFTER UPDATE OF {', '.join(FOLLOWED)} ON attempts
FOR EACH ROW WHEN {_changed('IS NOT')}
BEGIN
    INSERT OR IGNORE INTO counters (name, value) VALUES ('page_seq', 0);
    UPDATE counters SET value = value + 1 WHERE name = 'page_seq';
    UPDATE attempts SET page_seq = (SELECT value FROM counters WHERE name = 'page_seq')
    WHERE id = NEW.id;
END
"""

POSTGRESQL = [
    'CREATE SEQUENCE attempts_page_seq_order',
    """
CREATE FUNCTION attempts_page_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.page_seq := nextval('attempts_page_seq_order');
    RETURN NEW;
END
$$
""",
    f"""
CREATE TRIGGER attempts_page_seq BEFORE UPDATE OF {', '.join(FOLLOWED)} ON attempts
FOR EACH ROW WHEN ({_changed('IS DISTINCT FROM')})
EXECUTE FUNCTION attempts_page_seq()
""",
]


def upgrade() -> None:
    with op.batch_alter_table('attempts', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('page_seq', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_index('ix_attempts_page_seq', ['page_seq'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRESQL:
            op.execute(statement)
    else:
        op.execute("INSERT INTO counters (name, value) VALUES ('page_seq', 0)")
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER attempts_page_seq ON attempts')
        op.execute('DROP FUNCTION attempts_page_seq()')
        op.execute('DROP SEQUENCE attempts_page_seq_order')
    else:
        op.execute('DROP TRIGGER attempts_page_seq')
        op.execute("DELETE FROM counters WHERE name = 'page_seq'")
    with op.batch_alter_table('attempts', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_attempts_page_seq')
        batch_op.drop_column('page_seq')

"""reading_time_and_rest_breaks

Revision ID: 7c1e5b2a9d40
Revises: 5e1f0c3a9b27
Create Date: 2026-12-04 23:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '7c1e5b2a9d40'
down_revision: str | None = '5e1f0c3a9b27'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): SQLite adds a column with a constant default in place,
    # and copying `results` would trip the foreign key from result_corrections.
    op.add_column('sittings', sa.Column('reading_minutes', sa.Integer(), server_default='5', nullable=False))
    op.add_column('attempts', sa.Column('reading_until', app.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('attempts', sa.Column('break_started_at', app.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('attempts', sa.Column('rest_break_seconds', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_attempts_reading', 'attempts', ['status', 'reading_until'], unique=False)
    op.add_column('results', sa.Column('rest_break_seconds', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    op.drop_column('results', 'rest_break_seconds')
    op.drop_index('ix_attempts_reading', table_name='attempts')
    op.drop_column('attempts', 'rest_break_seconds')
    op.drop_column('attempts', 'break_started_at')
    op.drop_column('attempts', 'reading_until')
    op.drop_column('sittings', 'reading_minutes')

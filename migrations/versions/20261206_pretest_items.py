"""pretest_items: unscored pretest items on papers (a unit's test spec, each paper position)

Revision ID: 8e2c4a6b1d93
Revises: 3b9d0e7f2c61
Create Date: 2026-12-06 01:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '8e2c4a6b1d93'
down_revision: str | None = '3b9d0e7f2c61'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing specs carry no pretest items and every existing paper position is scored.
    # Plain ADD COLUMN with a constant default: no copy of paper_items, on SQLite either.
    op.add_column(
        'test_specs', sa.Column('pretest_items', sa.Integer(), server_default='0', nullable=False)
    )
    op.add_column(
        'paper_items', sa.Column('pretest', sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    op.drop_column('paper_items', 'pretest')
    op.drop_column('test_specs', 'pretest_items')

"""reads_instructions

Revision ID: 3b9d4e1f7a62
Revises: 3d8f2a61c0b7
Create Date: 2026-12-05 21:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3b9d4e1f7a62'
down_revision: str | None = '3d8f2a61c0b7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN with a constant default: SQLite adds it in place (no batch copy).
    op.add_column(
        'attempts',
        sa.Column('reads_instructions', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column('attempts', 'reads_instructions')

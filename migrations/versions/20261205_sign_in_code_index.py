"""sign_in_code_index: a candidate's sign-in finds its attempt by the personal code alone

Revision ID: 3b9d0e7f2c61
Revises: 3b9d4e1f7a62
Create Date: 2026-12-05 21:50:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '3b9d0e7f2c61'
down_revision: str | None = '3b9d4e1f7a62'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_attempts_access_code', 'attempts', ['access_code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_attempts_access_code', table_name='attempts')

"""item_exclusions: item versions taken out of marking after the sitting

Revision ID: 3d8a6f1c2e57
Revises: 7c1e5b2a9d40
Create Date: 2026-12-05 21:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '3d8a6f1c2e57'
down_revision: str | None = '7c1e5b2a9d40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'item_exclusions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_version_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('excluded_by', sa.String(length=160), nullable=False),
        sa.Column('excluded_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_item_exclusions_item_version_id_item_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_item_exclusions')),
        sa.UniqueConstraint('item_version_id', name=op.f('uq_item_exclusions_item_version_id')),
    )


def downgrade() -> None:
    op.drop_table('item_exclusions')

"""item_rich_content: rich stems and pictures on item versions, pictures stored once

Revision ID: 4f1c2a7b9e31
Revises: a10f00000001
Create Date: 2026-12-04 23:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '4f1c2a7b9e31'
down_revision: str | None = 'a10f00000001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('item_media',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_item_media'))
    )
    # plain ADD/DROP COLUMN (SQLite 3.35+ has both): a batch copy of item_versions would drop
    # a table that paper_items refers to
    op.add_column('item_versions', sa.Column('stem_html', sa.Text(), nullable=True))
    op.add_column('item_versions', sa.Column('images', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('item_versions', 'images')
    op.drop_column('item_versions', 'stem_html')
    op.drop_table('item_media')

"""webhook_secret_rotation: a webhook's secret can be changed without a gap

The only way to change a webhook's secret was to delete the webhook (cancelling what it had not
yet sent) and register it again. A rotation keeps the secret before it, sealed as it was, and
signs with both until previous_until (Standard Webhooks: several signatures in one header).

Revision ID: 7d4b2e9c1a05
Revises: 5c1e9a7d3b20
Create Date: 2026-12-07 04:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '7d4b2e9c1a05'
down_revision: str | None = '5c1e9a7d3b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhooks') as batch:
        batch.add_column(sa.Column('previous_secret', sa.Text(), nullable=True))
        batch.add_column(sa.Column('previous_until', app.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhooks') as batch:
        batch.drop_column('previous_until')
        batch.drop_column('previous_secret')

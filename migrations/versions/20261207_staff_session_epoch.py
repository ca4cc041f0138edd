"""staff_accounts.session_epoch: signing out of the console ends the sign-in on the server

A console cookie carries the epoch it was issued in; signing out, a password reset and
disabling the account move it on (app/staff/service.py). Cookies issued before this revision
carry none and read as signed out: staff sign in again once after the upgrade.

Revision ID: 9a3c5e7f1b24
Revises: 8e2f4a6c0b13
Create Date: 2026-12-07 10:10:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '9a3c5e7f1b24'
down_revision: str | None = '8e2f4a6c0b13'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff_accounts', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('staff_accounts', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('session_epoch')

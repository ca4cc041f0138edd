"""standard setting (exercises, judges, judgements, unit cuts) and each paper's raw pass mark

Revision ID: 3d8f2a61c0b7
Revises: 57b5b6725d66
Create Date: 2026-12-05 21:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '3d8f2a61c0b7'
down_revision: str | None = '57b5b6725d66'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('standard_exercises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=160), nullable=False),
    sa.Column('signed_off_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_off_by', sa.String(length=160), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_standard_exercises_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_exercises'))
    )
    op.create_index(op.f('ix_standard_exercises_unit_id'), 'standard_exercises', ['unit_id'], unique=False)
    op.create_table('standard_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['exercise_id'], ['standard_exercises.id'], name=op.f('fk_standard_items_exercise_id_standard_exercises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_standard_items_item_version_id_item_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_items')),
    sa.UniqueConstraint('exercise_id', 'item_version_id', name=op.f('uq_standard_items_exercise_id_item_version_id'))
    )
    op.create_index(op.f('ix_standard_items_item_version_id'), 'standard_items', ['item_version_id'], unique=False)
    op.create_table('standard_judges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('added_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exercise_id'], ['standard_exercises.id'], name=op.f('fk_standard_judges_exercise_id_standard_exercises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_accounts.id'], name=op.f('fk_standard_judges_staff_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_judges')),
    sa.UniqueConstraint('exercise_id', 'name', name=op.f('uq_standard_judges_exercise_id_name'))
    )
    op.create_table('standard_judgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=160), nullable=False),
    sa.ForeignKeyConstraint(['exercise_id'], ['standard_exercises.id'], name=op.f('fk_standard_judgements_exercise_id_standard_exercises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judge_id'], ['standard_judges.id'], name=op.f('fk_standard_judgements_judge_id_standard_judges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_judgements')),
    sa.UniqueConstraint('judge_id', 'round', name=op.f('uq_standard_judgements_judge_id_round'))
    )
    op.create_index(op.f('ix_standard_judgements_exercise_id'), 'standard_judgements', ['exercise_id'], unique=False)
    op.create_table('unit_cuts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('theta', sa.Float(), nullable=False),
    sa.Column('percent', sa.String(length=60), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.String(length=160), nullable=False),
    sa.Column('decided_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('superseded', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('superseded_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['exercise_id'], ['standard_exercises.id'], name=op.f('fk_unit_cuts_exercise_id_standard_exercises'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_cuts_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_cuts'))
    )
    op.create_index(op.f('ix_unit_cuts_unit_id'), 'unit_cuts', ['unit_id'], unique=False)
    # Plain ADD COLUMN (nullable, no default): in place on SQLite, no copy of attempts or results.
    op.add_column('attempts', sa.Column('pass_mark', sa.Integer(), nullable=True))
    op.add_column('results', sa.Column('pass_mark', sa.Integer(), nullable=True))
    # Every result so far was passed by the unit's percentage: its raw mark is the least score
    # reaching it, ceil(P x n / 100), in integer arithmetic on both databases.
    op.execute(
        'UPDATE results SET pass_mark = (pass_mark_percent * max_score + 99) / 100'
    )
    # A unit's standard belongs to no sitting: its journal chain ("unit:N") has none. SQLite
    # cannot relax NOT NULL in place, so these two tables are copied there (nothing refers to them).
    for table in ('journal', 'journal_heads'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('sitting_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    for table in ('journal_heads', 'journal'):
        op.execute(f'DELETE FROM {table} WHERE sitting_id IS NULL')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('sitting_id', existing_type=sa.Integer(), nullable=False)
    op.drop_column('results', 'pass_mark')
    op.drop_column('attempts', 'pass_mark')
    op.drop_index(op.f('ix_unit_cuts_unit_id'), table_name='unit_cuts')
    op.drop_table('unit_cuts')
    op.drop_index(op.f('ix_standard_judgements_exercise_id'), table_name='standard_judgements')
    op.drop_table('standard_judgements')
    op.drop_table('standard_judges')
    op.drop_index(op.f('ix_standard_items_item_version_id'), table_name='standard_items')
    op.drop_table('standard_items')
    op.drop_index(op.f('ix_standard_exercises_unit_id'), table_name='standard_exercises')
    op.drop_table('standard_exercises')

"""candidate_number_folded: candidate numbers are unique whatever the case of their letters

Sign-in and the invigilator's actions always matched a candidate number without regard to
case, but registration compared it as typed: T1-0001 and t1-0001 could both be registered,
and an action on one could reach the other. A unique index on lower(candidate_number) makes
the number one identifier. An existing database holding such a pair cannot take the index:
the upgrade stops and names the pairs, to be renumbered by the awarding body first.

Revision ID: 5c1e9a7d3b20
Revises: 8e2c4a6b1d93
Create Date: 2026-12-07 01:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5c1e9a7d3b20'
down_revision: str | None = '8e2c4a6b1d93'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    clashes = op.get_bind().execute(
        sa.text(
            "SELECT lower(candidate_number) FROM candidates"
            " GROUP BY lower(candidate_number) HAVING count(*) > 1"
            " ORDER BY lower(candidate_number)"
        )
    ).scalars().all()
    if clashes:
        raise RuntimeError(
            "These candidate numbers are registered more than once in different letter cases: "
            + ", ".join(clashes)
            + ". Renumber one of each pair, then upgrade again."
        )
    op.create_index(
        'uq_candidates_number_folded',
        'candidates',
        [sa.text('lower(candidate_number)')],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index('uq_candidates_number_folded', table_name='candidates')

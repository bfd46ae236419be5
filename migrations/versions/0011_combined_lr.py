"""search results keep the autosomal LR and the lineage parts of the combined LR; review cases
keep why they were closed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:00:00

``search_results.log10_lr`` becomes the combined LR of all typed evidence (autosomal x mtDNA x
Y-STR, issue 10); ``log10_lr_autosomal`` keeps the autosomal part (NULL for older rows, whose
``log10_lr`` is autosomal) and ``lineage_lr`` the lineage parts (JSON). ``review_cases.closed_reason``: why a case of
re-associated remains was closed (the same individual's identification; a non-representative
member when the group formed).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dnacase.db  # noqa: F401  (dnacase.db.JSONType)

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('search_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('log10_lr_autosomal', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lineage_lr', dnacase.db.JSONType(), nullable=True))
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.drop_column('closed_reason')
    with op.batch_alter_table('search_results', schema=None) as batch_op:
        batch_op.drop_column('lineage_lr')
        batch_op.drop_column('log10_lr_autosomal')

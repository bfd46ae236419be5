"""cemetery candidate pool (prior by area)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 16:00:00

``cemeteries.candidate_pool_size``: the number of missing persons who could be buried in the
cemetery (its area), set by staff; the search's ``area`` prior is ``1 / candidate_pool_size``
for remains from a grave there (issue 6). Empty: the flat default applies.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cemeteries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidate_pool_size", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_cemeteries_candidate_pool_positive"),
            "candidate_pool_size IS NULL OR candidate_pool_size >= 2")


def downgrade() -> None:
    with op.batch_alter_table("cemeteries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_cemeteries_candidate_pool_positive"), type_="check")
        batch_op.drop_column("candidate_pool_size")

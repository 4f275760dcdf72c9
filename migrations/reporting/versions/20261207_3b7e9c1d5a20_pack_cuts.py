"""pack cuts: the change-feed position of each service a pack was composed at, and its inputs

Revision ID: 3b7e9c1d5a20
Revises: 8d2f4b6a1c03
Create Date: 2026-12-07 23:55:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b7e9c1d5a20"
down_revision: str | Sequence[str] | None = "8d2f4b6a1c03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pack") as batch:
        batch.add_column(sa.Column("cuts", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("inputs", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pack") as batch:
        batch.drop_column("inputs")
        batch.drop_column("cuts")

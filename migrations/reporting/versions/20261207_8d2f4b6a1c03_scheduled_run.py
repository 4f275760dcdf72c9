"""scheduled run: the lease that lets one replica generate the monthly draft

Revision ID: 8d2f4b6a1c03
Revises: 5c1e0a9d7b21
Create Date: 2026-12-07 21:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "8d2f4b6a1c03"
down_revision: str | Sequence[str] | None = "5c1e0a9d7b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("portfolio_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pack_id"], ["pack.id"], name=op.f("fk_scheduled_run_pack_id_pack")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_run")),
        sa.UniqueConstraint(
            "period", "portfolio_code", name=op.f("uq_scheduled_run_period_portfolio_code")
        ),
    )


def downgrade() -> None:
    op.drop_table("scheduled_run")

"""milestones actions

Milestones (key_activity) gain a workstream, forecast and actual dates, a status, a percentage
complete and an owner; actions (the 2015 action plan's numbered actions) get a table.

Revision ID: 9ef30383c5c0
Revises: 487f5dbb3790
Create Date: 2026-11-22 11:09:28.421602

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "9ef30383c5c0"
down_revision: str | Sequence[str] | None = "487f5dbb3790"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "action",
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("timescale", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("measures", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("responsible", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("review_references", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("number_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("timescale_start", sa.Date(), nullable=True),
        sa.Column("timescale_end", sa.Date(), nullable=True),
        sa.Column(
            "timescale_precision", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("status", sa.String(length=20), server_default="Not started", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_action_programme_id_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
        sa.UniqueConstraint("programme_id", "number", name=op.f("uq_action_programme_id_number")),
    )
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_action_timescale_end"), ["timescale_end"], unique=False
        )

    with op.batch_alter_table("key_activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workstream_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("forecast_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("actual_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="Not started", nullable=False)
        )
        batch_op.add_column(
            sa.Column("percent_complete", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_key_activity_forecast_date"), ["forecast_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_key_activity_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_key_activity_workstream_id"), ["workstream_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_key_activity_workstream_id_workstream"),
            "workstream",
            ["workstream_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_key_activity_percent_complete_range"),
            "percent_complete BETWEEN 0 AND 100",
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("key_activity", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_key_activity_percent_complete_range"), type_="check"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_key_activity_workstream_id_workstream"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_key_activity_workstream_id"))
        batch_op.drop_index(batch_op.f("ix_key_activity_status"))
        batch_op.drop_index(batch_op.f("ix_key_activity_forecast_date"))
        batch_op.drop_column("owner")
        batch_op.drop_column("percent_complete")
        batch_op.drop_column("status")
        batch_op.drop_column("actual_date")
        batch_op.drop_column("forecast_date")
        batch_op.drop_column("workstream_id")

    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_timescale_end"))
        batch_op.drop_index(batch_op.f("ix_action_status"))
        batch_op.drop_index(batch_op.f("ix_action_programme_id"))

    op.drop_table("action")

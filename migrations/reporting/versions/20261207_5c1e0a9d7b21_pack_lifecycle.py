"""pack lifecycle: draft, reviewed, signed off; a correction supersedes a signed pack

Revision ID: 5c1e0a9d7b21
Revises: ff2760703fe2
Create Date: 2026-12-07 20:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5c1e0a9d7b21"
down_revision: str | Sequence[str] | None = "ff2760703fe2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pack", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="draft",
            )
        )
        batch_op.add_column(
            sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_pack_status"), ["status"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_pack_supersedes_id"), ["supersedes_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_pack_supersedes_id_pack"), "pack", ["supersedes_id"], ["id"]
        )
    # Packs signed off before the lifecycle existed are signed off in it.
    op.execute("UPDATE pack SET status = 'signed_off' WHERE signed_off_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("pack", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pack_supersedes_id_pack"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_pack_supersedes_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_pack_status"))
        batch_op.drop_column("supersedes_id")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("status")

"""plan domains together; programme board link

Revision ID: 7279d8c280de
Revises: 1331b191f8fa, f24dd0a299c6
Create Date: 2026-11-22 11:39:47.724578

"""

from collections.abc import Sequence

import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel.sql.sqltypes.AutoString)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7279d8c280de"
down_revision: str | Sequence[str] | None = ("1331b191f8fa", "f24dd0a299c6")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Join the domain branches; link each programme to the board that oversees it, now that
    the board table exists."""
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_programme_board_id_board"), "board", ["board_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_programme_board_id_board"), type_="foreignkey")

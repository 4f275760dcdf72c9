"""rag scales per portfolio; programmes serve outcomes

Revision ID: b2018a9e5c31
Revises: 7279d8c280de
Create Date: 2026-12-07 20:31:17.536396

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b2018a9e5c31"
down_revision: str | Sequence[str] | None = "7279d8c280de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Each portfolio carries its own RAG scale; programmes say which outcomes they serve."""
    op.create_table(
        "rag_grade",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("colour", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("meaning", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("common", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("dca", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["portfolio_id"], ["portfolio.id"], name=op.f("fk_rag_grade_portfolio_id_portfolio")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rag_grade")),
        sa.UniqueConstraint("portfolio_id", "code", name=op.f("uq_rag_grade_portfolio_id_code")),
    )
    with op.batch_alter_table("rag_grade", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rag_grade_portfolio_id"), ["portfolio_id"], unique=False
        )

    op.create_table(
        "programme_outcome",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outcome_id"], ["outcome.id"], name=op.f("fk_programme_outcome_outcome_id_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_outcome_programme_id_programme"),
        ),
        sa.PrimaryKeyConstraint("programme_id", "outcome_id", name=op.f("pk_programme_outcome")),
    )
    with op.batch_alter_table("programme_outcome", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_outcome_outcome_id"), ["outcome_id"], unique=False
        )

    # Portfolios from before now declared no scale: they get the common one, saying so, and
    # an administrator can replace it with the plan's own.
    for position, (code, colour, meaning) in enumerate(COMMON, start=1):
        op.execute(
            sa.text(
                "INSERT INTO rag_grade (portfolio_id, position, code, colour, meaning, common) "
                "SELECT id, :position, :code, :colour, :meaning, :code FROM portfolio"
            ).bindparams(position=position, code=code, colour=colour, meaning=meaning)
        )


COMMON = [
    ("Green", "#00703c", "on track or complete (common scale: the plan defined none)"),
    ("Amber", "#ffbf47", "issues needing attention (common scale: the plan defined none)"),
    ("Red", "#d4351c", "off track (common scale: the plan defined none)"),
]


def downgrade() -> None:

    with op.batch_alter_table("programme_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_outcome_outcome_id"))

    op.drop_table("programme_outcome")
    with op.batch_alter_table("rag_grade", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rag_grade_portfolio_id"))

    op.drop_table("rag_grade")

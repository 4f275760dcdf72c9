"""savings governance

Revision ID: f24dd0a299c6
Revises: 9ef30383c5c0
Create Date: 2026-11-22 11:10:29.769998

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "f24dd0a299c6"
down_revision: str | Sequence[str] | None = "9ef30383c5c0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "board",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("directorate", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("chair", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "Programme Board",
                "Directorate Board",
                "TIB",
                "IRB",
                "Committee",
                name="boardkind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("escalates_to_board_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalates_to_board_id"],
            ["board.id"],
            name=op.f("fk_board_escalates_to_board_id_board"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_board_programme_id_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board")),
    )
    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_code"), ["code"], unique=True)
        batch_op.create_index(batch_op.f("ix_board_directorate"), ["directorate"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_board_escalates_to_board_id"), ["escalates_to_board_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_board_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_board_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "savings_initiative",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("directorate", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("financial_year", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("target", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("forecast", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("delivered", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "delivered >= 0", name=op.f("ck_savings_initiative_delivered_not_negative")
        ),
        sa.CheckConstraint(
            "forecast >= 0", name=op.f("ck_savings_initiative_forecast_not_negative")
        ),
        sa.CheckConstraint("target >= 0", name=op.f("ck_savings_initiative_target_not_negative")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_savings_initiative_programme_id_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savings_initiative")),
    )
    with op.batch_alter_table("savings_initiative", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_savings_initiative_code"), ["code"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_savings_initiative_directorate"), ["directorate"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_savings_initiative_financial_year"), ["financial_year"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_savings_initiative_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "escalation",
        sa.Column("item_ref", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "programme_exception",
                "risk",
                "issue",
                name="escalationkind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("raised_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "resolved",
                "closed",
                name="escalationstatus",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("resolution_decision_id", sa.Integer(), nullable=True),
        sa.Column("resolution_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"], ["board.id"], name=op.f("fk_escalation_board_id_board")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_escalation_programme_id_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation")),
    )
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_board_id"), ["board_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_escalation_programme_id"), ["programme_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_escalation_status"), ["status"], unique=False)

    op.create_table(
        "board_decision",
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"], ["board.id"], name=op.f("fk_board_decision_board_id_board")
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalation.id"],
            name=op.f("fk_board_decision_escalation_id_escalation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_decision")),
    )
    with op.batch_alter_table("board_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_decision_board_id"), ["board_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_board_decision_decided_on"), ["decided_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_board_decision_escalation_id"), ["escalation_id"], unique=False
        )

    # escalation and board_decision refer to each other: this side once both tables exist.
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_escalation_resolution_decision_id_board_decision"),
            "board_decision",
            ["resolution_decision_id"],
            ["id"],
        )

    op.create_table(
        "escalation_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("from_board_id", sa.Integer(), nullable=False),
        sa.Column("to_board_id", sa.Integer(), nullable=False),
        sa.Column("moved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalation.id"],
            name=op.f("fk_escalation_move_escalation_id_escalation"),
        ),
        sa.ForeignKeyConstraint(
            ["from_board_id"], ["board.id"], name=op.f("fk_escalation_move_from_board_id_board")
        ),
        sa.ForeignKeyConstraint(
            ["to_board_id"], ["board.id"], name=op.f("fk_escalation_move_to_board_id_board")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_move")),
    )
    with op.batch_alter_table("escalation_move", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_move_escalation_id"), ["escalation_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("escalation_move", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_move_escalation_id"))
    op.drop_table("escalation_move")

    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_escalation_resolution_decision_id_board_decision"), type_="foreignkey"
        )

    with op.batch_alter_table("board_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_decision_escalation_id"))
        batch_op.drop_index(batch_op.f("ix_board_decision_decided_on"))
        batch_op.drop_index(batch_op.f("ix_board_decision_board_id"))
    op.drop_table("board_decision")

    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_status"))
        batch_op.drop_index(batch_op.f("ix_escalation_programme_id"))
        batch_op.drop_index(batch_op.f("ix_escalation_board_id"))
    op.drop_table("escalation")

    with op.batch_alter_table("savings_initiative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_savings_initiative_programme_id"))
        batch_op.drop_index(batch_op.f("ix_savings_initiative_financial_year"))
        batch_op.drop_index(batch_op.f("ix_savings_initiative_directorate"))
        batch_op.drop_index(batch_op.f("ix_savings_initiative_code"))
    op.drop_table("savings_initiative")

    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_programme_id"))
        batch_op.drop_index(batch_op.f("ix_board_kind"))
        batch_op.drop_index(batch_op.f("ix_board_escalates_to_board_id"))
        batch_op.drop_index(batch_op.f("ix_board_directorate"))
        batch_op.drop_index(batch_op.f("ix_board_code"))
    op.drop_table("board")

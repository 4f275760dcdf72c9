"""highlight revisions dca history
steps as a list, confidence, and the DCA assessment history.

A branch from the committed head: it touches only highlight_report and its own new tables, so
it applies beside the other domains' work in progress (the service upgrades to every head).

Existing data is carried over: each report becomes revision 1 (updated_at = submitted_at), its
next steps text becomes one step, every period reported on gets an open reporting_period row,
and every report's DCA becomes the first entry of its programme's DCA history.

A report's DCA and its reason become optional, together: a report imported from a source that
declares no DCA (the council's 2015 report) stores neither rather than an invented one.

Revision ID: 1331b191f8fa
Revises: 487f5dbb3790
Create Date: 2026-11-22 11:12:36.000544

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "1331b191f8fa"
down_revision: str | Sequence[str] | None = "487f5dbb3790"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DCA_NAMES = ("green", "amber_green", "amber", "amber_red", "red")

report = sa.table(
    "highlight_report",
    sa.column("id", sa.Integer()),
    sa.column("next_steps", sa.JSON()),
)


def _dca_type() -> sa.types.TypeEngine:
    """highlight_report.dca's enum: on PostgreSQL the type "dca" exists already, reuse it."""
    if op.get_bind().dialect.name == "postgresql":
        return postgresql.ENUM(*DCA_NAMES, name="dca", create_type=False)
    return sa.Enum(*DCA_NAMES, name="dca")


def upgrade() -> None:
    """Upgrade schema."""
    bind = op.get_bind()
    op.create_table(
        "reporting_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("signed_off_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'open') = (signed_off_by IS NULL AND signed_off_at IS NULL)",
            name=op.f("ck_reporting_period_signed_off_who_when"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'signed_off')", name=op.f("ck_reporting_period_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_period")),
    )
    with op.batch_alter_table("reporting_period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_period_period"), ["period"], unique=True)

    # next_steps: one text -> a JSON list of {what, when, who, ...}. Keep the texts aside, empty
    # the column so the type change cannot fail (PostgreSQL) or mangle them (SQLite's copy),
    # then write each back as one step.
    texts = bind.execute(
        sa.text("SELECT id, next_steps FROM highlight_report WHERE next_steps IS NOT NULL")
    ).all()
    bind.execute(sa.text("UPDATE highlight_report SET next_steps = NULL"))

    with op.batch_alter_table("highlight_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("confidence", sa.String(length=6), nullable=True))
        batch_op.add_column(
            sa.Column("revision_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("dca", existing_type=_dca_type(), nullable=True)
        batch_op.alter_column(
            "dca_reason", existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=True
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_highlight_report_dca_with_reason"),
            "(dca IS NULL) = (dca_reason IS NULL)",
        )
        batch_op.alter_column(
            "next_steps",
            existing_type=sa.VARCHAR(),
            type_=sa.JSON(),
            existing_nullable=True,
            postgresql_using="next_steps::json",
        )
        batch_op.drop_constraint(
            batch_op.f("uq_highlight_report_programme_id_period"), type_="unique"
        )
        batch_op.create_index(batch_op.f("ix_highlight_report_period"), ["period"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_highlight_report_programme_id_period_revision"),
            ["programme_id", "period", "revision"],
        )

    bind.execute(sa.text("UPDATE highlight_report SET updated_at = submitted_at"))
    for report_id, text in texts:
        if text.strip():
            step = {
                "what": text.strip(),
                "when": None,
                "who": None,
                "when_start": None,
                "when_end": None,
                "when_precision": "unknown",
            }
            bind.execute(report.update().where(report.c.id == report_id).values(next_steps=[step]))
    with op.batch_alter_table("highlight_report", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )

    op.create_table(
        "dca_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("dca", _dca_type(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("highlight_report_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["highlight_report_id"],
            ["highlight_report.id"],
            name=op.f("fk_dca_assessment_highlight_report_id_highlight_report"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_dca_assessment_programme_id_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dca_assessment")),
    )
    with op.batch_alter_table("dca_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dca_assessment_highlight_report_id"),
            ["highlight_report_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_dca_assessment_programme_id"), ["programme_id"], unique=False
        )

    # Reports already submitted: their periods open, their DCAs the start of the history.
    op.execute(
        "INSERT INTO reporting_period (period, status, created_at, version) "
        "SELECT DISTINCT period, 'open', CURRENT_TIMESTAMP, 1 FROM highlight_report"
    )
    day = (
        "CAST(submitted_at AS DATE)" if bind.dialect.name == "postgresql" else "date(submitted_at)"
    )
    op.execute(
        "INSERT INTO dca_assessment "
        "(programme_id, assessed_on, dca, reason, author, highlight_report_id, created_at) "
        f"SELECT programme_id, {day}, dca, dca_reason, author, id, submitted_at "
        "FROM highlight_report WHERE dca IS NOT NULL "
        "ORDER BY highlight_report.submitted_at, highlight_report.id"
    )


def downgrade() -> None:
    """Downgrade schema. Lossy: the DCA history, superseded revisions, reports that declare
    no DCA, confidence and the structure of next steps (kept as lines of text) go."""
    bind = op.get_bind()
    with op.batch_alter_table("dca_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dca_assessment_programme_id"))
        batch_op.drop_index(batch_op.f("ix_dca_assessment_highlight_report_id"))
    op.drop_table("dca_assessment")

    op.execute(
        "DELETE FROM highlight_report WHERE EXISTS (SELECT 1 FROM highlight_report newer "
        "WHERE newer.programme_id = highlight_report.programme_id "
        "AND newer.period = highlight_report.period AND newer.revision > highlight_report.revision)"
    )
    op.execute("DELETE FROM highlight_report WHERE dca IS NULL OR dca_reason IS NULL")
    steps = bind.execute(sa.select(report.c.id, report.c.next_steps)).all()
    bind.execute(sa.text("UPDATE highlight_report SET next_steps = NULL"))
    with op.batch_alter_table("highlight_report", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_highlight_report_programme_id_period_revision"), type_="unique"
        )
        batch_op.drop_index(batch_op.f("ix_highlight_report_period"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_highlight_report_programme_id_period"), ["programme_id", "period"]
        )
        batch_op.drop_constraint(batch_op.f("ck_highlight_report_dca_with_reason"), type_="check")
        batch_op.alter_column("dca", existing_type=_dca_type(), nullable=False)
        batch_op.alter_column(
            "dca_reason", existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=False
        )
        batch_op.alter_column(
            "next_steps",
            existing_type=sa.JSON(),
            type_=sa.VARCHAR(),
            existing_nullable=True,
            postgresql_using="next_steps::text",
        )
        batch_op.drop_column("updated_at")
        batch_op.drop_column("revision_reason")
        batch_op.drop_column("confidence")
        batch_op.drop_column("revision")
    text_report = sa.table("highlight_report", sa.column("id"), sa.column("next_steps"))
    for report_id, value in steps:
        lines = [
            " - ".join(str(s[k]) for k in ("what", "when", "who") if s.get(k)) for s in value or []
        ]
        if lines:
            bind.execute(
                text_report.update()
                .where(text_report.c.id == report_id)
                .values(next_steps="\n".join(lines))
            )

    with op.batch_alter_table("reporting_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_period_period"))
    op.drop_table("reporting_period")

"""seed the council 5x5 scoring matrix, so reading the current matrix never writes

Until now the matrix was created on first use, so ``GET /matrices/current`` could write and a
read at a cut (read-only) before any matrix existed was refused. It is reference data: it is
here from the start of the service's history (its version row from the history's origin), and a
database that already has a council 5x5 keeps its own. The values are written out, not read
from the application, because a migration must not change when the code does.

Revision ID: 3d5e7f9a1b2c
Revises: ecfc2266be32
Create Date: 2026-12-08 00:05:00.000000

"""

from datetime import UTC, datetime
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3d5e7f9a1b2c"
down_revision: Union[str, Sequence[str], None] = "ecfc2266be32"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CODE = "council-5x5"
SEEDED_BY = "reference data"
MATRIX = {
    "code": CODE,
    "version": 1,
    "name": "Council 5x5 risk matrix",
    "size": 5,
    "likelihood_labels": ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"],
    "impact_labels": ["Negligible", "Minor", "Moderate", "Major", "Catastrophic"],
    "bands": [
        {"name": "Low", "min_score": 1, "max_score": 4, "colour": "#2e7d32"},
        {"name": "Medium", "min_score": 5, "max_score": 9, "colour": "#f9a825"},
        {"name": "High", "min_score": 10, "max_score": 15, "colour": "#ef6c00"},
        {"name": "Very high", "min_score": 16, "max_score": 25, "colour": "#c62828"},
    ],
    "escalation_score": 16,
    "created_by": SEEDED_BY,
}


def _columns() -> list[sa.Column]:
    return [
        sa.column("id", sa.Integer()),
        sa.column("code", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("size", sa.Integer()),
        sa.column("likelihood_labels", sa.JSON()),
        sa.column("impact_labels", sa.JSON()),
        sa.column("bands", sa.JSON()),
        sa.column("escalation_score", sa.Integer()),
        sa.column("created_by", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM matrix_version WHERE code = :c"), {"c": CODE}).first():
        return  # created on first use before this revision: it stays as it was
    now = datetime.now(UTC)
    live = sa.table("matrix_version", *_columns()[1:])
    bind.execute(live.insert().values(**MATRIX, created_at=now))
    seeded = bind.execute(
        sa.text("SELECT id FROM matrix_version WHERE code = :c AND version = 1"), {"c": CODE}
    ).scalar_one()
    origin = bind.execute(sa.text("SELECT COALESCE(MIN(position), 0) FROM asof_commit")).scalar()
    history = sa.table(
        "asof_matrix_version",
        *_columns(),
        sa.column("asof_from", sa.BigInteger()),
        sa.column("asof_to", sa.BigInteger()),
    )
    bind.execute(
        history.insert().values(
            **MATRIX, id=seeded, created_at=now, asof_from=origin, asof_to=None
        )
    )


def downgrade() -> None:
    # Only the seeded version, and only while no assessment or risk was scored on it.
    bind = op.get_bind()
    seeded = bind.execute(
        sa.text(
            "SELECT id FROM matrix_version WHERE code = :c AND version = 1 AND created_by = :by "
            "AND NOT EXISTS (SELECT 1 FROM assessment WHERE matrix_version_id = matrix_version.id) "
            "AND NOT EXISTS (SELECT 1 FROM risk WHERE matrix_version_id = matrix_version.id)"
        ),
        {"c": CODE, "by": SEEDED_BY},
    ).first()
    if seeded is None:
        return
    bind.execute(sa.text("DELETE FROM asof_matrix_version WHERE id = :id"), {"id": seeded.id})
    bind.execute(sa.text("DELETE FROM matrix_version WHERE id = :id"), {"id": seeded.id})

"""escalation steps carry the business date they were taken (taken_on)

A month's pack lists the risks escalated in the month; by the step's timestamp a month recorded
late (back-dated) showed none. Existing steps get the UK date of their timestamp, the best
evidence they have; the history table's versions likewise, so a read at an old cut says the
same as before.

Revision ID: 6d2f0b8c4e31
Revises: 3d5e7f9a1b2c
Create Date: 2026-12-08 03:10:00.000000

"""

from datetime import UTC, date, datetime
from typing import Sequence, Union
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "6d2f0b8c4e31"
down_revision: Union[str, Sequence[str], None] = "3d5e7f9a1b2c"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The council's clock (services/common/clock.py), written out: a migration must not change when
# the code does.
COUNCIL = ZoneInfo("Europe/London")
TABLES = ("escalation_step", "asof_escalation_step")


def _uk_date(moment: datetime | str) -> date:
    if isinstance(moment, str):  # SQLite hands back text
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:  # stored as UTC without an offset
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(COUNCIL).date()


def _backfill(table: str) -> None:
    bind = op.get_bind()
    keys = ["id", "asof_from"] if table.startswith("asof_") else ["id"]
    rows = bind.execute(sa.text(f"SELECT {', '.join(keys)}, at FROM {table}")).all()
    where = " AND ".join(f"{k} = :{k}" for k in keys)
    for row in rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET taken_on = :day WHERE {where}"),
            {**dict(zip(keys, row[:-1], strict=True)), "day": _uk_date(row[-1])},
        )


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("taken_on", sa.Date(), nullable=True))
        _backfill(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("taken_on", existing_type=sa.Date(), nullable=False)
            batch_op.create_index(f"ix_{table}_taken_on", ["taken_on"], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_taken_on")
            batch_op.drop_column("taken_on")

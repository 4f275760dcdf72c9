"""escalations carry the business date they were raised (raised_on)

A month's pack lists the escalations raised in the month; by the row's timestamp a month
recorded late (back-dated) showed none. Existing rows get the UK date of their timestamp, the
best evidence they have; the history table's versions likewise, so a read at an old cut says
the same as before.

Revision ID: 5c1e9a7b3d20
Revises: 81e7d7148fbd
Create Date: 2026-12-08 02:50:00.000000

"""

from datetime import UTC, date, datetime
from typing import Sequence, Union
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5c1e9a7b3d20"
down_revision: Union[str, Sequence[str], None] = "81e7d7148fbd"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The council's clock (services/common/clock.py), written out: a migration must not change when
# the code does.
COUNCIL = ZoneInfo("Europe/London")
TABLES = ("escalation", "asof_escalation")


def _uk_date(moment: datetime | str) -> date:
    if isinstance(moment, str):  # SQLite hands back text
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:  # stored as UTC without an offset
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(COUNCIL).date()


def _backfill(table: str) -> None:
    bind = op.get_bind()
    keys = "id, asof_from" if table.startswith("asof_") else "id"
    rows = bind.execute(sa.text(f"SELECT {keys}, created_at FROM {table}")).all()
    where = " AND ".join(f"{k} = :{k}" for k in keys.split(", "))
    for row in rows:
        values = dict(zip(keys.split(", "), row[:-1], strict=True))
        bind.execute(
            sa.text(f"UPDATE {table} SET raised_on = :day WHERE {where}"),
            {**values, "day": _uk_date(row[-1])},
        )


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("raised_on", sa.Date(), nullable=True))
        _backfill(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("raised_on", existing_type=sa.Date(), nullable=False)
            batch_op.create_index(f"ix_{table}_raised_on", ["raised_on"], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_raised_on")
            batch_op.drop_column("raised_on")

"""risks carry the plan (portfolio) they belong to (portfolio_code)

A risk of no programme belonged to no plan, so every pack listed it: the 2015 plan's risks
appeared in the 2024 plan's packs. A programme's risk now takes its programme's portfolio when
written; a plan-wide one names its own. The demo data's risks are backfilled by their codes (the
loaders' plans: IRP- and DEMO- are the 2024 plan's, FCP-2015- the 2015 action plan's); other
rows are left without a plan until their next change names one.

Revision ID: 7e3a1c9d5f42
Revises: 6d2f0b8c4e31
Create Date: 2026-12-08 03:05:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7e3a1c9d5f42"
down_revision: Union[str, Sequence[str], None] = "6d2f0b8c4e31"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("risk", "asof_risk")
# code prefix -> the plan the demo loaders put those risks in
DEMO_PLANS = (("IRP-", "IRP-2024"), ("DEMO-", "IRP-2024"), ("FCP-2015-", "OIAP-2015"))


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("portfolio_code", sa.String(length=40), nullable=True))
            batch_op.create_index(f"ix_{table}_portfolio_code", ["portfolio_code"], unique=False)
        for prefix, plan in DEMO_PLANS:
            op.get_bind().execute(
                sa.text(
                    f"UPDATE {table} SET portfolio_code = :plan "
                    "WHERE portfolio_code IS NULL AND code LIKE :prefix"
                ),
                {"plan": plan, "prefix": prefix + "%"},
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_portfolio_code")
            batch_op.drop_column("portfolio_code")

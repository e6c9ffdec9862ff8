"""crm_delivery.in_doubt: an attempt may have reached the CRM without our hearing its answer

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crm_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_doubt", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("crm_delivery", schema=None) as batch_op:
        batch_op.drop_column("in_doubt")

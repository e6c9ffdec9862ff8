"""agent_pin.shown_pin: a development PIN itself, so the browser phone shows it again after a restart

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 07:00:00

Only a PIN set from the browser phone in development mode (source "development") is kept readable; an
administrator's PIN stays a hash only. Existing rows keep nothing readable (their PINs are not known).
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent_pin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shown_pin", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agent_pin", schema=None) as batch_op:
        batch_op.drop_column("shown_pin")

"""agent_pin.source: who set the PIN (an administrator, or the browser phone in development mode)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:40:00

Every PIN set before this revision was set with `run.py agent-pin` (the page's development PINs are recorded as such
from now on), so existing rows become "admin": the browser phone can never replace them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent_pin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), nullable=False, server_default="admin"))


def downgrade() -> None:
    with op.batch_alter_table("agent_pin", schema=None) as batch_op:
        batch_op.drop_column("source")

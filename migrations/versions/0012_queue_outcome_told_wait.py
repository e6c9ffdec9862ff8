"""queue_outcome.told_*: what each caller was told of their wait, to measure the estimate against the real wait

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = ("told_low_seconds", "told_high_seconds", "told_seconds", "told_after_seconds")


def upgrade() -> None:
    with op.batch_alter_table("queue_outcome", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queue_outcome", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)

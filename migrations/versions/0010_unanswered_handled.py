"""kb_unanswered: handled_at, handled_by, added_to — a question dealt with in the console leaves the queue

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_unanswered", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("handled_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column("added_to", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_unanswered", schema=None) as batch_op:
        batch_op.drop_column("added_to")
        batch_op.drop_column("handled_by")
        batch_op.drop_column("handled_at")

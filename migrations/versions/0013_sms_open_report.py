"""sms_open_report: a text report in progress, so one lost with Redis is told, not taken for a question

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_open_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sms_open_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_open_report_phone_hash"), ["phone_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("sms_open_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_open_report_phone_hash"))
    op.drop_table("sms_open_report")

"""processed_delivery: webhook deliveries already acted on, so a signed re-send after the replay window changes nothing

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_processed_delivery_created_at"), "processed_delivery", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_delivery_created_at"), table_name="processed_delivery")
    op.drop_table("processed_delivery")

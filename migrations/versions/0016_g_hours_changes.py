"""hours_change: supervisors' closures, late openings and added holidays, applied by every process's calendar

Revision ID: 0016_g
Revises: 0015
Create Date: 2026-12-07 07:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016_g"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hours_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),  # core.calendar.ChangeKind's values
        sa.Column("starts_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ends_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_hours_change_starts_at"), "hours_change", ["starts_at"], unique=False)
    op.create_index(op.f("ix_hours_change_ends_at"), "hours_change", ["ends_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_hours_change_ends_at"), table_name="hours_change")
    op.drop_index(op.f("ix_hours_change_starts_at"), table_name="hours_change")
    op.drop_table("hours_change")

"""hours_change: supervisors' closures, late openings and added holidays, applied by every process's calendar;
alert_episode: alert rules' and surge detection's episodes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 07:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0017"
down_revision = "0016"
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
    op.create_table(
        "alert_episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),  # alerts.models.AlertKind's values
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_fired_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acted_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("acted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("kind", "key", "started_at", "ended_at"):
        op.create_index(op.f(f"ix_alert_episode_{column}"), "alert_episode", [column], unique=False)


def downgrade() -> None:
    for column in ("kind", "key", "started_at", "ended_at"):
        op.drop_index(op.f(f"ix_alert_episode_{column}"), table_name="alert_episode")
    op.drop_table("alert_episode")
    op.drop_index(op.f("ix_hours_change_ends_at"), table_name="hours_change")
    op.drop_index(op.f("ix_hours_change_starts_at"), table_name="hours_change")
    op.drop_table("hours_change")

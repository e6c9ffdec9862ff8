"""test_run on calls, call steps, texts, tickets, queue outcomes, voice messages, unanswered questions, call-backs

Scenario runs and the browser phone are test traffic: their records name the run, and every report, the live
figures, the unanswered queue and the CRM leave them out. Existing rows are residents' (NULL).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 07:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TABLES = (
    "ivr_call",
    "ivr_call_step",
    "sms_inbound",
    "crm_ticket",
    "queue_outcome",
    "queue_voicemail",
    "kb_unanswered",
    "callback",
)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("test_run", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
            batch.create_index(f"ix_{table}_test_run", ["test_run"], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_test_run")
            batch.drop_column("test_run")

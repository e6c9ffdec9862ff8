"""console_account.agent: an account working as an agent of [[agents]]; ivr_call.caller_key: a keyed digest of the
caller's number, to find one number's calls (the agent's screen pop, the supervisors' contact search)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 07:00:00

Both columns are new and nullable: existing accounts are linked to no agent, and calls recorded before this revision
have no key (they are still found by date).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    with op.batch_alter_table("ivr_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caller_key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_ivr_call_caller_key"), ["caller_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ivr_call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ivr_call_caller_key"))
        batch_op.drop_column("caller_key")
    with op.batch_alter_table("console_account", schema=None) as batch_op:
        batch_op.drop_column("agent")

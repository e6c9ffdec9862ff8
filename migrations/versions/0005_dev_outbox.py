"""development mode's outbox: texts and calls kept instead of sent

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dev_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sid', sqlmodel.sql.sqltypes.AutoString(length=34), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('to_number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('from_number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sid')
    )
    with op.batch_alter_table('dev_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dev_outbox_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dev_outbox_to_number'), ['to_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dev_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dev_outbox_to_number'))
        batch_op.drop_index(batch_op.f('ix_dev_outbox_created_at'))
    op.drop_table('dev_outbox')

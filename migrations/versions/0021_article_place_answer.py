"""kb_article.place_answer: an article whose answer depends on the resident's address (knowledge.models.PlaceAnswer)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 08:20:00

The column is new and nullable: every existing article keeps its answer, the same wherever the resident is.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_answer", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_article", schema=None) as batch_op:
        batch_op.drop_column("place_answer")

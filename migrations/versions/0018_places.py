"""places: the city's map (address points, area layers and features, named places); tickets keep the matched point

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 07:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "places_address_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", _text(length=12), nullable=False),
        sa.Column("predir", _text(length=2), nullable=False),
        sa.Column("name", _text(length=80), nullable=False),
        sa.Column("kind", _text(length=8), nullable=False),
        sa.Column("postdir", _text(length=2), nullable=False),
        sa.Column("unit", _text(length=20), nullable=False),
        sa.Column("street_key", _text(length=80), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_places_address_point_street_key"), "places_address_point", ["street_key"], unique=False)
    op.create_table(
        "places_area_layer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _text(length=40), nullable=False),
        sa.Column("title", _text(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "places_area_feature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["layer_id"], ["places_area_layer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_places_area_feature_layer_id"), "places_area_feature", ["layer_id"], unique=False)
    op.create_table(
        "places_named_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _text(length=120), nullable=False),
        sa.Column("kind", _text(length=40), nullable=False),
        sa.Column("address", _text(length=200), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_places_named_place_kind"), "places_named_place", ["kind"], unique=False)
    # Existing tickets keep every value: the new columns start empty for them.
    with op.batch_alter_table("crm_ticket") as batch:
        batch.add_column(sa.Column("matched_address", _text(length=300), nullable=False, server_default=""))
        batch.add_column(sa.Column("areas", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("address_flagged", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("crm_ticket") as batch:
        batch.drop_column("address_flagged")
        batch.drop_column("areas")
        batch.drop_column("matched_address")
    op.drop_index(op.f("ix_places_named_place_kind"), table_name="places_named_place")
    op.drop_table("places_named_place")
    op.drop_index(op.f("ix_places_area_feature_layer_id"), table_name="places_area_feature")
    op.drop_table("places_area_feature")
    op.drop_table("places_area_layer")
    op.drop_index(op.f("ix_places_address_point_street_key"), table_name="places_address_point")
    op.drop_table("places_address_point")

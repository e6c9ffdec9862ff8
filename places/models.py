"""The city's map as tables: address points, area layers and their features, named places."""

from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class AddressPoint(SQLModel, table=True):
    """One addressable spot (a building, or a unit in it), as the city publishes it."""

    __tablename__ = "places_address_point"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=12)  # digits, as the city writes them
    predir: str = Field(default="", max_length=2)  # N, S, E, W, NE...
    name: str = Field(max_length=80)  # "Main", "5th"
    kind: str = Field(default="", max_length=8)  # St, Ave...
    postdir: str = Field(default="", max_length=2)
    unit: str = Field(default="", max_length=20)
    street_key: str = Field(max_length=80, index=True)  # the name folded: what lookups are keyed by
    latitude: float
    longitude: float


class AreaLayer(SQLModel, table=True):
    """A set of areas covering the city (trash zones, council districts), each with attributes."""

    __tablename__ = "places_area_layer"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, unique=True)
    title: str = Field(default="", max_length=120)


class AreaFeature(SQLModel, table=True):
    """One area of a layer: its outline (GeoJSON) and its attributes (day, member...)."""

    __tablename__ = "places_area_feature"
    id: int | None = Field(default=None, primary_key=True)
    layer_id: int = Field(foreign_key="places_area_layer.id", index=True)
    attributes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    geometry: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class NamedPlace(SQLModel, table=True):
    """A place residents name rather than address: a library, a park, city hall."""

    __tablename__ = "places_named_place"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    kind: str = Field(max_length=40, index=True)
    address: str = Field(default="", max_length=200)
    latitude: float
    longitude: float
    attributes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

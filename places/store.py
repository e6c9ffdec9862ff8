"""The map's tables: saving what a file held, and reading the whole map back as an index."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func
from sqlmodel import Session, select

from places.importing import FileKind, Read, read
from places.index import Place, PlaceIndex, PointRow, street_key
from places.models import AddressPoint, AreaFeature, AreaLayer, NamedPlace

SAMPLE = Path(__file__).resolve().parent / "sample" / "springfield"
BATCH = 5000


def save(session: Session, *, found: Read, replace: bool = False) -> int:
    """Store a file's good rows (replacing that kind, or that layer, when asked); how many were stored."""
    if found.kind is FileKind.POINTS:
        if replace:
            session.exec(delete(AddressPoint))
        rows = [AddressPoint(number=p.number, predir=p.predir, name=p.name[:80], kind=p.kind, postdir=p.postdir,
                             unit=p.unit, street_key=street_key(p.name)[:80], latitude=p.latitude,
                             longitude=p.longitude) for p in found.points]
        for start in range(0, len(rows), BATCH):
            session.add_all(rows[start:start + BATCH])
            session.flush()
        return len(rows)
    if found.kind is FileKind.AREAS:
        layer = session.exec(select(AreaLayer).where(AreaLayer.name == found.layer)).first()
        if layer is None:
            layer = AreaLayer(name=found.layer, title=found.title)
            session.add(layer)
            session.flush()
        elif replace:
            session.exec(delete(AreaFeature).where(AreaFeature.layer_id == layer.id))
        session.add_all(AreaFeature(layer_id=layer.id, attributes=a, geometry=g) for a, g in found.areas)
        return len(found.areas)
    if replace:
        session.exec(delete(NamedPlace))
    session.add_all(NamedPlace(name=p.name, kind=p.kind, address=p.address, latitude=p.latitude,
                               longitude=p.longitude, attributes=p.attributes) for p in found.places)
    return len(found.places)


def is_empty(session: Session) -> bool:
    """No address point stored yet (a fresh database)."""
    return not session.exec(select(func.count()).select_from(AddressPoint)).one()


def seed_sample(session: Session, *, directory: Path = SAMPLE) -> int:
    """Load the sample map when the database has none; the number of address points loaded (0: it had a map)."""
    if not is_empty(session):
        return 0
    count = 0
    for path in sorted(directory.iterdir()):
        if path.suffix in (".csv", ".geojson"):
            stored = save(session, found=read(path))
            count += stored if path.suffix == ".csv" else 0
    return count


def load(session: Session, version: str = "0") -> PlaceIndex:
    """The whole map from the tables, as an index."""
    columns = (AddressPoint.number, AddressPoint.predir, AddressPoint.name, AddressPoint.kind, AddressPoint.postdir,
               AddressPoint.unit, AddressPoint.latitude, AddressPoint.longitude)
    points = (PointRow(*row) for row in session.exec(select(*columns).order_by(AddressPoint.id)))
    layers = {layer.id: layer.name for layer in session.exec(select(AreaLayer))}
    areas = [(layers[f.layer_id], f.attributes, f.geometry)
             for f in session.exec(select(AreaFeature).order_by(AreaFeature.id))]
    places = [Place(p.name, p.kind, p.address, p.latitude, p.longitude, dict(p.attributes))
              for p in session.exec(select(NamedPlace).order_by(NamedPlace.id))]
    return PlaceIndex(points, areas, places, version=version)

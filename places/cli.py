"""`run.py places import FILE...`: load a city's address points, area layers and named places."""

from __future__ import annotations

import argparse
from pathlib import Path

from core import version_stamp
from core.db import in_session, make_engine
from core.redis import sync_client
from places import store
from places.cache import VERSION_KEY
from places.importing import FileKind, MapFileError, read
from settings import Settings

MAX_ERRORS_SHOWN = 50


def add_commands(sub) -> None:
    """Register `places` on run.py's sub-command parser."""
    places = sub.add_parser("places", help="import the city's map: address points, area layers, named places")
    places.add_argument("action", choices=["import"])
    places.add_argument("paths", nargs="+", metavar="FILE",
                        help="CSV address points, or GeoJSON points, area polygons or named places")
    places.add_argument("--kind", choices=list(FileKind), help="what the files hold (default: told by their content)")
    places.add_argument("--layer", help="an area layer's name (default: the file's 'name', else its file name)")
    places.add_argument("--replace", action="store_true",
                        help="replace what is stored of that kind (that layer, for areas) instead of adding to it")
    places.set_defaults(command=import_command)


def import_command(settings: Settings, args: argparse.Namespace) -> int:
    """Read each file, store its good rows, list its bad ones by line; 1 when any row was left out."""
    engine = make_engine(settings.database_url)
    left_out = 0
    try:
        for name in args.paths:
            path = Path(name)
            try:
                found = read(path, kind=FileKind(args.kind) if args.kind else None, layer=args.layer)
            except (OSError, UnicodeDecodeError, MapFileError) as exc:
                print(f"{path}: not read: {exc}")
                left_out += 1
                continue
            stored = in_session(engine, store.save, found=found, replace=args.replace)
            what = f"layer {found.layer!r} areas" if found.layer else str(found.kind)
            print(f"{path}: {stored} {what} loaded, {len(found.errors)} left out")
            for error in found.errors[:MAX_ERRORS_SHOWN]:
                print(f"  {error}")
            if len(found.errors) > MAX_ERRORS_SHOWN:
                print(f"  ... and {len(found.errors) - MAX_ERRORS_SHOWN} more")
            left_out += len(found.errors)
    finally:
        engine.dispose()
    if not _bump(settings):
        print("note: no Redis running (REDIS_URL unset and run.py not started): processes see it when they start")
    return 1 if left_out else 0


def _bump(settings: Settings) -> bool:
    path = settings.var_dir / "redis.url"  # run.py writes its embedded Redis's address here while it runs
    url = settings.redis_url or (path.read_text().strip() if path.exists() else None)
    if url is None:
        return False
    client = sync_client(url)
    try:
        version_stamp.bump_sync(client, VERSION_KEY)
    finally:
        client.close()
    return True

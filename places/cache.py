"""This process's copy of the map and its matcher, rebuilt when an import moves the shared version on."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine

from core import version_stamp
from core.db import run_db
from places import store
from places.index import PlaceIndex
from places.matching import Matcher, Neighbour
from settings import Settings

VERSION_KEY = "places:version"


def matcher_for(settings: Settings, index: PlaceIndex) -> Matcher:
    """A matcher over index that knows the city's name and its neighbours (config [places])."""
    neighbours = tuple(Neighbour(n.name, n.number, n.words) for n in settings.places.neighbours)
    return Matcher(index, neighbours=neighbours, city_words=(settings.city_name,))


class PlaceCache:
    """The map and its matcher for one process: one Redis read per call, a rebuild only after an import."""

    def __init__(self, settings: Settings, engine: Engine, redis) -> None:
        self._settings = settings
        self._engine = engine
        self._redis = redis
        self._current: Matcher | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Matcher:
        """The current matcher (its `.index` is the map)."""
        version = await version_stamp.read(self._redis, VERSION_KEY)
        if self._current is not None and self._current.index.version == version:
            return self._current
        async with self._lock:
            if self._current is None or self._current.index.version != version:
                index = await run_db(self._engine, store.load, version=version)
                self._current = matcher_for(self._settings, index)
        return self._current

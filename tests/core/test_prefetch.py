"""A webhook's Redis reads come from one round trip made before its route; what the request changes is read again."""

from __future__ import annotations

import asyncio

from core import prefetch, version_stamp


class CountingRedis:
    """A Redis stand-in that counts round trips."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values, self.trips = dict(values), 0

    async def get(self, key):
        self.trips += 1
        return self.values.get(key)

    async def mget(self, keys):
        self.trips += 1
        return [self.values.get(key) for key in keys]

    async def set(self, key, value, nx=False, **_):
        self.trips += 1
        if not (nx and key in self.values):
            self.values[key] = str(value)

    async def eval(self, _script, _count, key, fresh):
        self.trips += 1
        self.values[key] = str(int(self.values.get(key, fresh)) + 1)


def test_reads_fetched_once_are_served_from_the_request_and_a_changed_one_is_read_again():
    async def request(redis):
        await prefetch.fetch(redis, ["kb:version", "menus:version", "dev:duty"])
        assert await version_stamp.read_many(redis, ["kb:version", "menus:version"]) == ["7", "3"]
        assert await version_stamp.read(redis, "kb:version") == "7"
        assert await prefetch.get(redis, "dev:duty") is None
        assert redis.trips == 1  # everything above from the one MGET
        await version_stamp.bump(redis, "kb:version")  # a change made by this request is heard by its own next read
        assert await version_stamp.read(redis, "kb:version") == "8"

    redis = CountingRedis({"kb:version": "7", "menus:version": "3"})
    asyncio.run(request(redis))


def test_without_a_fetch_every_read_goes_to_redis():
    async def request(redis):
        assert await version_stamp.read_many(redis, ["kb:version"]) == ["7"]
        assert await version_stamp.read(redis, "kb:version") == "7"
        assert redis.trips == 2

    asyncio.run(request(CountingRedis({"kb:version": "7"})))


def test_values_read_with_a_claim_are_kept_only_inside_a_request():
    async def request(redis):
        await prefetch.fetch(redis, ["kb:version"])
        prefetch.keep({"session:call:CA1": "{}"})
        assert await prefetch.get(redis, "session:call:CA1") == "{}"
        assert redis.trips == 1
        prefetch.forget("session:call:CA1")  # saved by this request: read afresh
        assert await prefetch.get(redis, "session:call:CA1") == "saved"

    async def job(redis):
        prefetch.keep({"session:call:CA1": "{}"})  # a job or a handler called by a test keeps nothing
        assert await prefetch.get(redis, "session:call:CA1") == "saved"

    asyncio.run(request(CountingRedis({"kb:version": "7", "session:call:CA1": "saved"})))
    asyncio.run(job(CountingRedis({"session:call:CA1": "saved"})))

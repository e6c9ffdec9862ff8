"""A resident's confirmed address is offered again; a test run's stays within that run."""

from __future__ import annotations

import asyncio

from core import test_traffic
from places import remembered

SECRET = "console-secret-for-tests"
PHONE = "+13125550147"


def test_an_address_kept_in_a_test_run_is_never_offered_outside_it(redis_url, redis):
    from core.redis import async_client

    async def scenario() -> None:
        redis = async_client(redis_url)
        with test_traffic.as_run("scenarios-one"):
            await remembered.keep(redis, secret=SECRET, phone=PHONE, label="520 S Washington St", days=1)
            assert await remembered.recall(redis, secret=SECRET, phone=PHONE) == remembered.Remembered(
                "520 S Washington St")
        with test_traffic.as_run("scenarios-two"):  # the next run reusing the number is asked afresh
            assert await remembered.recall(redis, secret=SECRET, phone=PHONE) is None
        assert await remembered.recall(redis, secret=SECRET, phone=PHONE) is None  # and so is the resident
        await remembered.keep(redis, secret=SECRET, phone=PHONE, label="48 N Elm Ave", days=1)
        assert await remembered.recall(redis, secret=SECRET, phone=PHONE) == remembered.Remembered("48 N Elm Ave")
        await redis.aclose()

    asyncio.run(scenario())

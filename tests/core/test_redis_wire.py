"""The web processes' Redis client: the same answers as redis-py's, round trips that never mix up their replies, and
an outage that fails fast and heals by itself."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis as redis_lib
import redis.asyncio as aredis
from redis.exceptions import AuthenticationError, ConnectionError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.redis import EmbeddedRedis, async_client
from core.redis_wire import QuickRedis


def _sent_over_the_wire(client: QuickRedis) -> int:
    line = client.wire._line
    return 0 if line is None else len(line.trips)


def test_commands_and_pipelines_answer_as_redis_py_does(redis_url, redis):
    async def answers(client):
        await client.set("city", "Springfield")
        await client.hset("ticket:1", mapping={"status": "open", "kind": "pothole"})
        await client.zadd("queue", {"a": 1.5, "b": 2})
        async with client.pipeline(transaction=True) as pipe:
            pipe.set("n", 1, ex=60).incrbyfloat("n", 0.5).get("missing").xadd("records", {"what": "call"}, maxlen=10)
            in_multi = await pipe.execute()
        async with client.pipeline(transaction=False) as pipe:
            pipe.eval("return ARGV[1]", 0, "spoken").mget(["city", "missing", "n"])
            pipelined = await pipe.execute()
        script = client.register_script("return redis.call('GET', KEYS[1])")
        return [
            await client.get("city"),
            await client.hgetall("ticket:1"),
            await client.zrange("queue", 0, -1, withscores=True),
            await client.exists("city", "missing"),
            in_multi[:3],
            pipelined,
            await script(keys=["city"]),
            await client.script_load("return 1"),
        ]

    async def main():
        quick = async_client(redis_url)
        plain = aredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            ours = await answers(quick)
            assert quick.wire is not None and quick.wire._line is not None  # it did go over the wire
            redis.flushdb()
            theirs = await answers(plain)
        finally:
            await quick.aclose()
            await plain.aclose()
        return ours, theirs

    ours, theirs = asyncio.run(main())
    assert ours == theirs
    assert ours[0] == "Springfield" and ours[1] == {"status": "open", "kind": "pothole"}
    assert (
        ours[2] == [("a", 1.5), ("b", 2.0)]
        and ours[4] == [True, 1.5, None]
        and ours[5] == ["spoken", ["Springfield", None, "1.5"]]
    )


def test_many_requests_at_once_each_get_their_own_replies(redis_url, redis):
    async def one(client, n):
        async with client.pipeline(transaction=True) as pipe:
            pipe.set(f"session:{n}", f"caller {n}").get(f"session:{n}")
            stored, read = await pipe.execute()
        return stored, read, await client.get(f"session:{n}")

    async def main():
        client = async_client(redis_url)
        try:
            return await asyncio.gather(*(one(client, n) for n in range(300)))
        finally:
            await client.aclose()

    assert asyncio.run(main()) == [(True, f"caller {n}", f"caller {n}") for n in range(300)]


def test_a_cancelled_request_does_not_shift_the_replies_of_the_others(redis_url, redis):
    redis.set("slow", "x")

    async def main():
        client = async_client(redis_url)
        try:
            await client.set("warm", "1")
            waits = client.eval(
                "local t = redis.call('TIME') while redis.call('TIME')[2] - t[2] < 50000 and "
                "redis.call('TIME')[1] == t[1] do end return 'late'",
                0,
            )
            slow = asyncio.ensure_future(waits)
            await asyncio.sleep(0.01)
            after = asyncio.ensure_future(client.get("warm"))
            slow.cancel()
            return await after, await client.get("slow")
        finally:
            await client.aclose()

    assert asyncio.run(main()) == ("1", "x")


def test_a_reply_error_is_raised_and_a_transaction_keeps_its_other_writes(redis_url, redis):
    async def main():
        client = async_client(redis_url)
        try:
            await client.set("name", "text")
            with pytest.raises(ResponseError, match="WRONGTYPE"):
                await client.lpush("name", "x")
            with pytest.raises(ResponseError, match="WRONGTYPE"):
                async with client.pipeline(transaction=True) as pipe:
                    await pipe.set("kept", "yes").lpush("name", "x").execute()
            async with client.pipeline(transaction=False) as pipe:
                replies = await pipe.lpush("name", "x").get("kept").execute(raise_on_error=False)
            return replies, await client.get("name")
        finally:
            await client.aclose()

    (error, kept), name = asyncio.run(main())
    assert isinstance(error, ResponseError) and kept == "yes" and name == "text"


def test_blocking_commands_take_a_connection_of_their_own(redis_url, redis):
    async def main():
        client = async_client(redis_url)
        try:
            await client.set("greeting", "hello")
            waiting = asyncio.ensure_future(client.blpop(["nothing"], timeout=1))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            greeting = await client.get("greeting")
            quick = time.monotonic() - started
            await waiting
            return greeting, quick
        finally:
            await client.aclose()

    greeting, seconds = asyncio.run(main())
    assert greeting == "hello" and seconds < 0.5  # not stuck behind the BLPOP's second


def test_the_database_number_in_the_url_is_the_one_used(redis_url, redis):
    if redis_url.startswith("unix://"):
        url = redis_url + "?db=5"
    else:
        url = redis_url.rsplit("/", 1)[0] + "/5"

    async def main():
        client = async_client(url)
        try:
            await client.set("only-in-five", "yes")
        finally:
            await client.aclose()

    async def read_back():
        other = aredis.Redis.from_url(url, decode_responses=True)
        try:
            return await other.getdel("only-in-five")
        finally:
            await other.aclose()

    asyncio.run(main())
    assert redis.get("only-in-five") is None
    assert asyncio.run(read_back()) == "yes"


def test_one_client_serves_one_event_loop_after_another(redis_url, redis):
    client = async_client(redis_url)
    asyncio.run(client.set("first", "1"))
    assert asyncio.run(client.get("first")) == "1"  # a new loop: a new connection, not the old loop's
    asyncio.run(client.aclose())


def test_an_outage_fails_fast_and_the_first_command_after_redis_returns_succeeds(tmp_path):
    server = EmbeddedRedis(tmp_path / "var")
    server.start()

    async def main():
        client = async_client(server.url)
        try:
            await client.set("before", "1")
            server.process.kill()
            server.process.wait()
            started = time.monotonic()
            with pytest.raises(ConnectionError):
                await client.get("before")
            with pytest.raises(ConnectionError):
                await client.get("before")
            failed_in = time.monotonic() - started
            server.start()
            await client.set("after", "2")
            return failed_in, await client.get("after")
        finally:
            await client.aclose()

    try:
        failed_in, after = asyncio.run(main())
    finally:
        server.stop()
    assert failed_in < 3 and after == "2"


def test_a_server_that_stops_answering_times_out_and_the_next_command_reconnects(redis_url):
    async def main():
        accepted = []

        async def silent(reader, writer):
            accepted.append(writer)
            await reader.read(-1)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = QuickRedis(host="127.0.0.1", port=port, socket_timeout=0.3, decode_responses=True, protocol=2)
        try:
            started = time.monotonic()
            with pytest.raises(RedisTimeoutError):
                await client.get("anything")
            waited = time.monotonic() - started
            with pytest.raises(RedisTimeoutError):
                await client.get("anything")
            return waited, len(accepted), _sent_over_the_wire(client)
        finally:
            await client.aclose()
            server.close()

    waited, connections, still_waiting = asyncio.run(main())
    assert 0.25 < waited < 2 and connections == 2 and still_waiting == 0


def test_tls_keeps_redis_pys_own_connections_and_a_unix_socket_is_reached_by_its_path():
    assert QuickRedis.from_url("rediss://redis.example:6380/0").wire is None
    wire = QuickRedis.from_url("unix:///run/redis/redis.sock?db=2", password="s3cret").wire
    assert (wire.path, wire.db, wire.password) == ("/run/redis/redis.sock", 2, "s3cret")


def test_a_server_with_a_password_is_reached_with_it_and_a_wrong_one_is_refused_by_name(tmp_path):
    server = EmbeddedRedis(tmp_path / "var")
    server.start()
    admin = redis_lib.Redis(unix_socket_path=str(server.socket))
    admin.acl_setuser("clerk", enabled=True, passwords=["+clerk-pass"], keys=["*"], commands=["+@all"])
    admin.config_set("requirepass", "s3cret")

    async def main():
        answers = []
        for options in ({"password": "s3cret"}, {"username": "clerk", "password": "clerk-pass"}):
            client = QuickRedis(unix_socket_path=str(server.socket), decode_responses=True, **options)
            try:
                await client.set("who", options.get("username", "default"))
                answers.append(await client.get("who"))
            finally:
                await client.aclose()
        wrong = QuickRedis(unix_socket_path=str(server.socket), password="guess")
        try:
            with pytest.raises(AuthenticationError):
                await wrong.get("who")
        finally:
            await wrong.aclose()
        return answers

    try:
        assert asyncio.run(main()) == ["default", "clerk"]
    finally:
        admin.close()
        server.stop()

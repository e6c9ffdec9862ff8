"""One pipelined connection to Redis for the event loop's plain commands: redis-py's asyncio client spends about
100 us of CPU a round trip (pool, retry, a timeout task per read, observability hooks), this about 30.

`QuickRedis` is redis-py's client with its commands, scripts and reply parsing kept; only how a plain command or
pipeline reaches the server changes. Every round trip is written whole in one call from the event loop, so round
trips of different requests never interleave on the connection and Redis answers them in order. Blocking commands,
transactions that WATCH, pipelines with registered scripts and TLS go the usual way, through redis-py's pool.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
from typing import Any

import hiredis
import redis.asyncio as aredis
from redis._parsers.base import BaseParser
from redis.asyncio.client import EMPTY_RESPONSE, NEVER_DECODE, Pipeline
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.exceptions import ConnectionError, ExecAbortError, InvalidResponse, ResponseError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.utils import DEFAULT_RESP_VERSION

# Commands that may hold a connection waiting for the server, or change what the connection is: never pipelined
# behind other requests' round trips.
_OWN_CONNECTION = frozenset(
    """BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP XREAD XREADGROUP WAIT WAITAOF SUBSCRIBE PSUBSCRIBE
    SSUBSCRIBE MONITOR SELECT AUTH HELLO QUIT RESET CLIENT WATCH UNWATCH MULTI EXEC DISCARD SHUTDOWN""".split()
)
_PUSH = getattr(hiredis, "PushNotification", ())  # hiredis < 3.2 has no such type


class _Trip:
    """One round trip waiting for its replies."""

    __slots__ = ("future", "expected", "replies", "timer")

    def __init__(self, future: asyncio.Future, expected: int) -> None:
        self.future = future
        self.expected = expected
        self.replies: list[Any] = []
        self.timer: asyncio.TimerHandle | None = None


class _Line(asyncio.Protocol):
    """The connection: replies are handed to round trips in the order the round trips were written."""

    def __init__(self, encoding: str | None, errors: str) -> None:
        options: dict[str, Any] = {"protocolError": InvalidResponse, "replyError": BaseParser.parse_error}
        if encoding:
            options.update(encoding=encoding, errors=errors)
        self.reader = hiredis.Reader(**options)
        self.trips: collections.deque[_Trip] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.reader.feed(data)
            trips = self.trips
            while trips:
                reply = self.reader.gets()
                if reply is False:
                    return
                if isinstance(reply, _PUSH):  # RESP3 sends these only to a client that asked (tracking): not a reply
                    continue
                trip = trips[0]
                trip.replies.append(reply)
                if len(trip.replies) == trip.expected:
                    trips.popleft()
                    if trip.timer is not None:
                        trip.timer.cancel()
                    if not trip.future.done():  # its caller may have been cancelled: the replies are dropped
                        trip.future.set_result(trip.replies)
        except InvalidResponse as error:
            self.fail(ConnectionError(f"Redis sent what is not a reply: {error}"))

    def connection_lost(self, error: Exception | None) -> None:
        self.fail(ConnectionError("Connection closed by server." if error is None else f"Connection lost: {error}"))

    def fail(self, error: Exception) -> None:
        """Close the connection; every round trip still waiting gets `error` (their replies can no longer be told)."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()
        while self.trips:
            trip = self.trips.popleft()
            if trip.timer is not None:
                trip.timer.cancel()
            if not trip.future.done():
                trip.future.set_exception(error)

    def send(
        self, loop: asyncio.AbstractEventLoop, packed: bytes, expected: int, timeout: float | None
    ) -> asyncio.Future:
        """Write one round trip; the future gets its `expected` replies in order."""
        trip = _Trip(loop.create_future(), expected)
        if timeout is not None:
            trip.timer = loop.call_later(timeout, self._timed_out)
        self.trips.append(trip)
        self.transport.write(packed)
        return trip.future

    def _timed_out(self) -> None:
        self.fail(RedisTimeoutError("Timeout reading from Redis"))


class Wire:
    """One connection per event loop, opened on first use and again after it broke."""

    def __init__(
        self,
        *,
        host: str | None,
        port: int,
        path: str | None,
        db: int,
        username: str | None,
        password: str | None,
        timeout: float | None,
        connect_timeout: float | None,
        encoding: str | None,
        errors: str = "strict",
        protocol: int = 3,
    ) -> None:
        self.protocol = protocol
        self.host, self.port, self.path, self.db = host, port, path, db
        self.username, self.password = username, password
        self.timeout, self.connect_timeout = timeout, connect_timeout
        self.encoding, self.errors = encoding, errors
        self._line: _Line | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Future | None = None

    async def round_trip(self, commands: list[tuple]) -> list[Any]:
        """Send `commands` in one write and return their replies in order (a reply error is returned, not raised)."""
        packed = b"".join(hiredis.pack_command(command) for command in commands)
        line = await self._open()
        return await line.send(self._loop, packed, len(commands), self.timeout)

    async def _open(self) -> _Line:
        loop = asyncio.get_running_loop()
        line = self._line
        if line is not None and not line.closed and self._loop is loop:
            return line
        if self._opening is None or self._loop is not loop:
            self._loop = loop
            self._opening = loop.create_task(self._connect(loop))
        opening = self._opening
        try:
            return await asyncio.shield(opening)
        finally:
            if opening.done() and self._opening is opening:
                self._opening = None

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _Line:
        def make() -> _Line:
            return _Line(self.encoding, self.errors)

        try:
            async with asyncio.timeout(self.connect_timeout):
                if self.path:
                    _, line = await loop.create_unix_connection(make, self.path)
                else:
                    _, line = await loop.create_connection(make, self.host, self.port)
        except (OSError, TimeoutError) as error:
            raise ConnectionError(f"Error connecting to Redis: {error}") from error
        hello = []
        if self.protocol == 3:  # the protocol redis-py's reply callbacks were chosen for
            auth = ("AUTH", self.username or "default", self.password) if self.password else ()
            hello.append(("HELLO", 3, *auth))
        elif self.password:
            hello.append(("AUTH", self.username, self.password) if self.username else ("AUTH", self.password))
        if self.db:
            hello.append(("SELECT", self.db))
        if hello:
            packed = b"".join(hiredis.pack_command(command) for command in hello)
            for reply in await line.send(loop, packed, len(hello), self.timeout):
                if isinstance(reply, Exception):
                    line.fail(ConnectionError(f"Redis refused the connection's set-up: {reply}"))
                    raise reply
        self._line = line
        return line

    def close(self) -> None:
        """Close the connection if it is open (one left by an event loop that has ended is only forgotten)."""
        if self._line is not None and not self._line.closed and not self._loop.is_closed():
            self._line.fail(ConnectionError("Connection closed by the client."))
        self._line = None


def wire_for(pool: aredis.ConnectionPool) -> Wire | None:
    """A Wire to the server `pool` connects to, or None when its connections are not plain TCP or Unix sockets."""
    kwargs = pool.connection_kwargs
    if pool.connection_class not in (Connection, UnixDomainSocketConnection):
        return None
    decode = kwargs.get("decode_responses", False)
    return Wire(
        host=kwargs.get("host", "localhost"),
        port=int(kwargs.get("port", 6379)),
        path=kwargs.get("path"),
        db=int(kwargs.get("db", 0) or 0),
        username=kwargs.get("username"),
        password=kwargs.get("password"),
        timeout=kwargs.get("socket_timeout"),
        connect_timeout=kwargs.get("socket_connect_timeout"),
        encoding=kwargs.get("encoding", "utf-8") if decode else None,
        errors=kwargs.get("encoding_errors", "strict"),
        protocol=int(kwargs.get("protocol") or DEFAULT_RESP_VERSION),
    )


def _encoded(encoder, args: tuple) -> tuple:
    # redis-py names some commands in two words ("SCRIPT LOAD"); Redis wants them as two arguments. hiredis packs str,
    # bytes and int itself; anything else (a float, say) is encoded as redis-py would, which also refuses what Redis
    # cannot store (None, a bool).
    name = tuple(args[0].split()) if isinstance(args[0], str) and " " in args[0] else (args[0],)
    return name + tuple(arg if type(arg) in (str, bytes, int) else encoder.encode(arg) for arg in args[1:])


async def _parsed(callbacks: dict, command_name: str, reply: Any, options: dict) -> Any:
    if command_name in callbacks:
        options.pop("keys", None)
        reply = callbacks[command_name](reply, **options)
        if inspect.isawaitable(reply):
            reply = await reply
    return reply


class QuickPipeline(Pipeline):
    """redis-py's pipeline, sent over the Wire when nothing in it needs a connection of its own."""

    wire: Wire | None = None

    def _quick(self) -> bool:
        if self.wire is None or self.watching or self.scripts or self.explicit_transaction or self.connection:
            return False
        return not any(
            NEVER_DECODE in options
            or (self.is_transaction and EMPTY_RESPONSE in options)
            or str(args[0]).upper() in _OWN_CONNECTION
            for args, options in self.command_stack
        )

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Run the queued commands in one round trip (in MULTI/EXEC for a transaction)."""
        if not self.command_stack or not self._quick():
            return await super().execute(raise_on_error)
        stack = self.command_stack
        encoder = self.connection_pool.get_encoder()
        commands = [_encoded(encoder, args) for args, _ in stack]
        try:
            if self.is_transaction:
                replies = await self.wire.round_trip([("MULTI",), *commands, ("EXEC",)])
                response = _exec_reply(replies, stack)
            else:
                replies = await self.wire.round_trip(commands)
                response = [
                    options[EMPTY_RESPONSE] if isinstance(reply, ResponseError) and EMPTY_RESPONSE in options else reply
                    for reply, (_, options) in zip(replies, stack, strict=True)
                ]
            if raise_on_error:
                self.raise_first_error(stack, response)
            return [
                reply
                if isinstance(reply, Exception)
                else await _parsed(self.response_callbacks, args[0], reply, options)
                for reply, (args, options) in zip(response, stack, strict=True)
            ]
        finally:
            await self.reset()


def _exec_reply(replies: list[Any], stack: list) -> list[Any]:
    # MULTI's OK, a QUEUED (or an error) per command, then EXEC's list of replies.
    queued, result = replies[1:-1], replies[-1]
    errors = [(i, reply) for i, reply in enumerate(queued) if isinstance(reply, ResponseError)]
    if isinstance(result, ExecAbortError) or (isinstance(result, ResponseError) and errors):
        raise errors[0][1] if errors else result
    if isinstance(result, Exception):
        raise result
    if result is None:
        raise WatchError("Watched variable changed.")
    result = list(result)
    for i, error in errors:
        result.insert(i, error)
    if len(result) != len(stack):
        raise ResponseError("Wrong number of response items from pipeline execution")
    return result


class QuickRedis(aredis.Redis):
    """redis-py's asyncio client whose plain commands and pipelines go over one pipelined connection (`Wire`)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wire = wire_for(self.connection_pool)

    async def execute_command(self, *args, **options):
        """Run one command: over the Wire unless it needs a connection of its own."""
        command_name = args[0]
        if (
            self.wire is None
            or self.single_connection_client
            or NEVER_DECODE in options
            or str(command_name).upper() in _OWN_CONNECTION
        ):
            return await super().execute_command(*args, **options)
        encoder = self.connection_pool.get_encoder()
        (reply,) = await self.wire.round_trip([_encoded(encoder, args)])
        if isinstance(reply, ResponseError):
            if EMPTY_RESPONSE in options:
                return options[EMPTY_RESPONSE]
            raise reply
        options.pop(EMPTY_RESPONSE, None)
        return await _parsed(self.response_callbacks, command_name, reply, options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> QuickPipeline:
        """A pipeline whose round trip goes over the Wire when it can."""
        pipe = QuickPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.wire = self.wire
        return pipe

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Close the Wire's connection and the pool's."""
        if self.wire is not None:
            self.wire.close()
        await super().aclose(close_connection_pool)

"""Failures counted in Redis with growing lock-outs: after N failures wait 1 unit, then 2, 4 ... up to a longest.

A ledger is a field prefix in a Redis hash ("n" failures, "l" lock-outs so far, "u" locked until, on the injected
clock), so one hash can hold a ledger per client address (the console keeps one hash per account name). Attempts are
counted before they are checked, in one script, so parallel guesses get no extra tries; after a lock-out each further
failure locks again, for twice as long.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

EPISODE = "episode"  # set when a hash's first lock-out of an episode begins; gone when the hash is forgotten

# KEYS: the hashes. ARGV[1]: now; then five per key: field prefix, failures, first, longest, memory (seconds).
# Nothing is counted while any ledger is locked; returns {wait, locked bits, first-lock-of-episode bits}.
_ATTEMPT = """
local now, wait = tonumber(ARGV[1]), 0
for i, key in ipairs(KEYS) do
  local left = tonumber(redis.call('HGET', key, ARGV[(i - 1) * 5 + 2] .. 'u') or '0') - now
  if left > wait then wait = left end
end
if wait > 0 then return {wait, 0, 0} end
local locked, first = 0, 0
for i, key in ipairs(KEYS) do
  local at = (i - 1) * 5 + 2
  local f, failures, memory = ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 4])
  if redis.call('HINCRBY', key, f .. 'n', 1) >= failures then
    local level = redis.call('HINCRBY', key, f .. 'l', 1)
    local delay = math.min(tonumber(ARGV[at + 3]), tonumber(ARGV[at + 2]) * 2 ^ (level - 1))
    redis.call('HSET', key, f .. 'u', now + delay, f .. 'n', failures - 1)
    locked = locked + 2 ^ (i - 1)
    first = first + redis.call('HSETNX', key, 'episode', now) * 2 ^ (i - 1)
  end
  if redis.call('TTL', key) < memory then redis.call('EXPIRE', key, memory) end
end
return {0, locked, first}
"""

# Give one counted attempt back (it turned out right): undo the lock-out it started, or take its failure off.
_REFUND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local f = ARGV[1]
if ARGV[2] == '1' then
  redis.call('HDEL', KEYS[1], f .. 'u')
  redis.call('HINCRBY', KEYS[1], f .. 'l', -1)
elseif tonumber(redis.call('HGET', KEYS[1], f .. 'n') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], f .. 'n', -1)
end
return 1
"""


@dataclass(frozen=True)
class Rule:
    """How many failures start a lock-out, how long the first lasts and the longest, and how long failures are kept."""

    failures: int
    first_seconds: int
    longest_seconds: int
    memory_seconds: int

    def delay(self, lock_out: int) -> int:
        """How long the n-th lock-out (from 1) lasts."""
        return min(self.longest_seconds, self.first_seconds * 2 ** (lock_out - 1))


@dataclass(frozen=True)
class Ledger:
    """One ledger: a Redis hash, the prefix of its fields, and its rule."""

    key: str
    field: str
    rule: Rule


@dataclass(frozen=True)
class Verdict:
    """What one attempt was told: wait (seconds, 0: go ahead) and, per ledger, whether it started a lock-out."""

    wait: int
    locked: tuple[bool, ...]
    first: tuple[bool, ...]


async def attempt(redis: Redis, ledgers: Sequence[Ledger], *, now: int) -> Verdict:
    """Count one attempt on every ledger, or none when any is locked (then wait says how long)."""
    args: list = [now]
    for ledger in ledgers:
        rule = ledger.rule
        args += [ledger.field, rule.failures, rule.first_seconds, rule.longest_seconds, rule.memory_seconds]
    wait, locked, first = await redis.eval(_ATTEMPT, len(ledgers), *(ledger.key for ledger in ledgers), *args)
    return Verdict(int(wait), _bits(locked, len(ledgers)), _bits(first, len(ledgers)))


def _bits(mask, count: int) -> tuple[bool, ...]:
    return tuple(bool(int(mask) >> i & 1) for i in range(count))


async def refund(redis: Redis, ledger: Ledger, *, locked: bool) -> None:
    """Give one attempt back, undoing the lock-out it started if it did."""
    await redis.eval(_REFUND, 1, ledger.key, ledger.field, "1" if locked else "0")


async def clear(redis: Redis, ledger: Ledger) -> None:
    """Forget this ledger's failures and lock-outs (the right secret from there, or an administrator)."""
    await redis.hdel(ledger.key, *(f"{ledger.field}{part}" for part in "nlu"))


def locked_fields(fields: dict[str, str], *, now: int) -> dict[str, int]:
    """From a whole hash: each field prefix still locked, with the moment (seconds) its lock-out ends."""
    return {
        name[:-1]: int(float(value)) for name, value in fields.items() if name.endswith("u") and int(float(value)) > now
    }

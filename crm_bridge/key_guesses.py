"""Wrong Open311 api_keys counted per client address with growing lock-outs (core.backoff).

A right key is always accepted; wrong ones from an address that keeps guessing are answered 429 with Retry-After.
"""

from __future__ import annotations

from core import backoff
from core.context import AppContext
from core.defaults import (
    FAILURE_MEMORY_SECONDS,
    LONGEST_LOCK_OUT_SECONDS,
    OPEN311_KEY_FAILURES,
    OPEN311_KEY_FIRST_LOCK_SECONDS,
)
from crm_bridge.open311 import Open311Error

RULE = backoff.Rule(
    OPEN311_KEY_FAILURES, OPEN311_KEY_FIRST_LOCK_SECONDS, LONGEST_LOCK_OUT_SECONDS, FAILURE_MEMORY_SECONDS
)


def key_for(address: str) -> str:
    """The Redis hash of one address's wrong api_keys."""
    return f"open311:bad-keys:{address}"


async def wrong_key(ctx: AppContext, address: str) -> None:
    """Count one wrong api_key; raise the 429 when this address is refused for now (else the caller's 403 stands)."""
    ledger = backoff.Ledger(key_for(address), "", RULE)
    verdict = await backoff.attempt(ctx.redis, (ledger,), now=int(ctx.now().timestamp()))
    if verdict.wait:
        raise Open311Error(
            429,
            f"too many wrong api_keys from this address; try again in {verdict.wait} seconds",
            headers={"Retry-After": str(verdict.wait)},
        )

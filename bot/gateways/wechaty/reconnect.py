"""Keep a connection up: run a session, and when it ends, wait (exponential backoff with
jitter) and run it again, until told to stop.

A session ending normally counts as a disconnect too: a Wechaty puppet client's ``start()``
returns without an error when another client takes over the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class Backoff:
    """Exponential backoff with "equal jitter": the n-th delay (n from 0) is drawn uniformly from
    ``[d/2, d]`` with ``d = min(cap, base * factor**n)``, so retries spread out but never hammer."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def __post_init__(self) -> None:
        if self.base <= 0 or self.factor < 1 or self.cap < self.base:
            raise ValueError("need base > 0, factor >= 1 and cap >= base")

    def ceiling(self, attempt: int) -> float:
        # Compare exponents first so a long outage cannot overflow a float.
        if attempt > 64:
            return self.cap
        return min(self.cap, self.base * self.factor**attempt)

    def next_delay(self) -> float:
        top = self.ceiling(self.attempt)
        self.attempt += 1
        return self.rng.uniform(top / 2, top)

    def reset(self) -> None:
        self.attempt = 0


async def keep_connected(
    session: Callable[[], Awaitable[None]],
    *,
    backoff: Backoff,
    stopping: Callable[[], bool],
    sleep: Sleep = asyncio.sleep,
    stable_after: float = 30.0,
    monotonic: Callable[[], float] = time.monotonic,
    on_disconnect: Callable[[BaseException | None, float], None] | None = None,
) -> None:
    """Run ``session()`` again and again until ``stopping()`` is true.

    A session that lasted at least ``stable_after`` seconds resets the backoff, so a connection
    that drops once a day reconnects quickly. ``on_disconnect(error, delay)`` is told each time
    a session ended (``error`` None when it returned normally) and how long we wait.
    Cancelling the task running this function stops it at once.
    """
    while not stopping():
        began = monotonic()
        error: BaseException | None = None
        try:
            await session()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure of the session means: reconnect
            error = exc
        if stopping():
            return
        if monotonic() - began >= stable_after:
            backoff.reset()
        delay = backoff.next_delay()
        if on_disconnect is not None:
            on_disconnect(error, delay)
        await sleep(delay)

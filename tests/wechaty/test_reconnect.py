"""Exponential backoff with jitter, and the reconnect loop, without real sleeping."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.gateways.wechaty.reconnect import Backoff, keep_connected


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    backoff = Backoff(base=1, factor=2, cap=30, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(10)]
    ceilings = [1, 2, 4, 8, 16, 30, 30, 30, 30, 30]
    for delay, top in zip(delays, ceilings, strict=True):
        assert top / 2 <= delay <= top
    assert len(set(delays)) == len(delays)  # jittered, not a fixed ladder


def test_backoff_reset_starts_again_from_the_base() -> None:
    backoff = Backoff(base=2, cap=100, rng=random.Random(1))
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert 1 <= backoff.next_delay() <= 2


def test_a_very_long_outage_does_not_overflow() -> None:
    backoff = Backoff(base=1, cap=60, rng=random.Random(1))
    backoff.attempt = 10_000
    assert 30 <= backoff.next_delay() <= 60


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Backoff(base=0)
    with pytest.raises(ValueError):
        Backoff(base=10, cap=5)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_reconnects_after_errors_and_after_normal_returns() -> None:
    clock = FakeTime()
    outcomes: list[BaseException | None] = [ConnectionError("refused"), None, OSError("reset"), None]
    calls = 0
    stop = False
    seen: list[tuple[str | None, float]] = []

    async def session() -> None:
        nonlocal calls, stop
        outcome = outcomes[calls]
        calls += 1
        if calls == len(outcomes):
            stop = True
        if outcome is not None:
            raise outcome

    await keep_connected(
        session,
        backoff=Backoff(base=1, cap=60, rng=random.Random(3)),
        stopping=lambda: stop,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        on_disconnect=lambda err, delay: seen.append((type(err).__name__ if err else None, delay)),
    )
    assert calls == 4
    # a normal return (another client took over) is a disconnect too
    assert [name for name, _ in seen] == ["ConnectionError", None, "OSError"]
    assert len(clock.sleeps) == 3
    for delay, top in zip(clock.sleeps, [1, 2, 4], strict=True):
        assert top / 2 <= delay <= top


async def test_a_stable_session_resets_the_backoff() -> None:
    clock = FakeTime()
    calls = 0

    async def session() -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            clock.now += 120  # this one stayed up for two minutes
        raise ConnectionError("lost")

    await keep_connected(
        session,
        backoff=Backoff(base=1, cap=60, rng=random.Random(5)),
        stopping=lambda: calls >= 6,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        stable_after=30,
    )
    ceilings = [1, 2, 4, 1, 2]
    assert len(clock.sleeps) == len(ceilings)
    for delay, top in zip(clock.sleeps, ceilings, strict=True):
        assert top / 2 <= delay <= top


async def test_cancelling_stops_the_loop_at_once() -> None:
    started = asyncio.Event()

    async def session() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(keep_connected(session, backoff=Backoff(), stopping=lambda: False))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

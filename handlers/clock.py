"""Injected time. Workflows never call datetime.now() themselves."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(TZ)


class BackwardMove(ValueError):
    """Time travel only goes forward: history already shown in the group never changes."""


class ForwardClock:
    """Time that only moves forward, by ``advance`` or ``set``.

    Without ``start`` it is the wall clock plus an offset (the simulator's time travel); with
    ``start`` it stands still there until moved (tests).
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("ForwardClock needs an aware datetime")
        self._frozen = start.astimezone(TZ) if start is not None else None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        base = self._frozen if self._frozen is not None else datetime.now(TZ)
        return base + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise BackwardMove("the clock never moves backward")
        self._offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("give the time with its UTC offset, e.g. 2026-11-24T08:30:00+08:00")
        return self.advance(moment.astimezone(TZ) - self.now())

    def resume_from(self, moment: datetime | None) -> None:
        """After a restart: never earlier than what the simulated group has already seen."""
        if moment is not None and moment > self.now():
            self.set(moment)

"""The simulator's clock: real time plus an offset that only grows (time travel forward)."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.clock import TZ


class TravelClock:
    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(TZ) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock never moves backward")
        self._offset += delta
        return self.now()

    def resume_from(self, moment: datetime | None) -> None:
        """After a restart: never earlier than what the simulated group has already seen."""
        if moment is not None and moment > self.now():
            self.set(moment)

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("give the time with its UTC offset, e.g. 2026-11-24T08:30:00+08:00")
        return self.advance(moment - self.now())

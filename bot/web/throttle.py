"""Failed workbench logins: a growing wait per member and address, bounded in size and in time.

A wrong password for a member from an address makes the next try from that same address for that
member wait: nothing for the first ``FREE_TRIES``, then 2, 4, 8 … seconds, at most ``LONGEST_WAIT``.
Nobody can lock a member out from elsewhere: tries from another address (the member's own office)
count apart, and the right password after the wait always signs in. An address that fails for many
members (password spraying) waits the same way past ``ADDRESS_FREE_TRIES``, high enough for an
office behind one NAT. Entries are forgotten ``WINDOW`` seconds after their last failure, and at
most ``MOST_KEYS`` are kept (the oldest go first), so no stream of requests grows the process.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FREE_TRIES = 5
ADDRESS_FREE_TRIES = 50
LONGEST_WAIT = 15 * 60.0
WINDOW = 60 * 60.0
MOST_KEYS = 10_000


@dataclass
class _Failures:
    count: int
    last: float


class Throttle:
    def __init__(self, most: int = MOST_KEYS, clock: Callable[[], float] = time.monotonic) -> None:
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._most, self.clock = most, clock

    def __len__(self) -> int:
        return len(self._failures)

    def wait(self, member_id: str, address: str) -> float:
        """Seconds before a try for this member from this address will be heard (0: now)."""
        now = self.clock()
        self._forget(now)
        waits = [self._wait(key, now, free) for key, free in self._keys(member_id, address)]
        return max(waits)

    def failed(self, member_id: str, address: str) -> None:
        now = self.clock()
        for key, _ in self._keys(member_id, address):
            entry = self._failures.pop(key, None) or _Failures(0, now)
            entry.count, entry.last = entry.count + 1, now
            self._failures[key] = entry  # the most recent last: the oldest are forgotten first
        while len(self._failures) > self._most:
            self._failures.popitem(last=False)

    def succeeded(self, member_id: str, address: str) -> None:
        self._failures.pop(_pair(member_id, address), None)

    def _wait(self, key: str, now: float, free: int) -> float:
        entry = self._failures.get(key)
        if entry is None or entry.count < free:
            return 0.0
        wait = min(LONGEST_WAIT, 2.0 ** (entry.count - free + 1))
        return max(0.0, entry.last + wait - now)

    def _forget(self, now: float) -> None:
        while self._failures:
            key, oldest = next(iter(self._failures.items()))
            if now - oldest.last <= WINDOW:
                return
            del self._failures[key]

    @staticmethod
    def _keys(member_id: str, address: str) -> list[tuple[str, int]]:
        return [(_pair(member_id, address), FREE_TRIES), ("address:" + address[:64], ADDRESS_FREE_TRIES)]


def _pair(member_id: str, address: str) -> str:
    """A fixed-size key whatever was typed as the member id."""
    digest = hashlib.sha256(member_id.encode("utf-8", "replace")).hexdigest()[:32]
    return f"member:{digest}@{address[:64]}"


class ActionBudget:
    """At most ``per_minute`` web actions a member in any minute: a signed-in person repeating a
    form cannot make the bot talk in a group without end. Kept per roster member only (the
    workbench signs in no one else), each with at most ``per_minute`` moments."""

    def __init__(self, per_minute: int = 20, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._recent: dict[str, list[float]] = {}

    def take(self, member_id: str) -> bool:
        """True (and counted) when the member may act now."""
        now = self.clock()
        recent = [t for t in self._recent.get(member_id, []) if now - t < 60]
        if len(recent) >= self.per_minute:
            self._recent[member_id] = recent
            return False
        self._recent[member_id] = [*recent, now]
        return True

"""Failed workbench logins, counted per member and per address in a sliding window."""

from __future__ import annotations

import time
from collections import defaultdict, deque

FAILURES_ALLOWED, FAILURE_WINDOW = 5, 15 * 60.0


class Throttle:
    """Failed logins in the last ``FAILURE_WINDOW`` seconds, per key (member, address)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, *keys_: str) -> bool:
        now = time.monotonic()
        for key in keys_:
            recent = self._failures[key]
            while recent and now - recent[0] > FAILURE_WINDOW:
                recent.popleft()
        return any(len(self._failures[k]) >= FAILURES_ALLOWED for k in keys_)

    def failed(self, *keys_: str) -> None:
        for key in keys_:
            self._failures[key].append(time.monotonic())

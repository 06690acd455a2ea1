"""The inbox loop: processes stored messages in arrival order, at start, on every arrival, after errors.

Gateways hand messages to ``receive`` (stored, then acknowledged) or store them themselves and call
``stored`` (the simulator keeps its chat log row in the same transaction). One loop per process
processes the rows it stored, oldest first, and now and then sweeps for any other unprocessed row;
with two processes on one PostgreSQL database each row is still processed once
(``InboxRepository.take``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from handlers.dispatcher import Dispatcher
from handlers.messages import IncomingMessage

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0  # after a failed round (the database gone, say): try the pending rows again
WAIT_SECONDS = 10.0  # a sender waits at most this long for its message to be processed
SWEEP_SECONDS = 10.0  # how often rows this process did not store are looked for (and the idle poll)
TOGETHER = 32  # messages processed in one transaction (one commit); a failure splits them up


class InboxProcessor:
    """Each process first processes the rows it stored itself (its senders are waiting for them);
    a sweep for every other unprocessed row (what a crash left, or a stopped process's) runs at
    start, after an error and every ``SWEEP_SECONDS``. Two processes on one database so rarely
    reach for the same rows, and when they do, ``SKIP LOCKED`` and ``processed_at`` sort it out."""

    def __init__(self, dispatcher: Dispatcher, batch: int = 100) -> None:
        self.dispatcher = dispatcher
        self.batch = batch
        self._wake = asyncio.Event()
        self._mine: set[int] = set()  # stored here, not yet seen processed
        self._elsewhere: set[int] = set()  # tried here, but another process had it (or has it now)
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._swept_at: float | None = None  # never: the first drain sweeps
        self._stopping = False

    async def receive(self, message: IncomingMessage) -> None:
        inbox_id = await self.dispatcher.accept(message)
        if inbox_id is not None:
            self._mine.add(inbox_id)
            self._wake.set()

    async def stored(self, inbox_id: int) -> None:
        """Wait until the row stored here is processed (by this process or another), or give up
        waiting after ``WAIT_SECONDS`` (the row stays stored and is still processed)."""
        self._mine.add(inbox_id)
        waiter = self._waiters.setdefault(inbox_id, asyncio.get_running_loop().create_future())
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(waiter), WAIT_SECONDS)

    def stop(self) -> None:
        """Finish the message in hand, then leave ``run``."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Process what arrives, and sweep for the rest now and then, until stopped."""
        while not self._stopping:
            self._wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("inbox round failed; retrying in %.0f s", RETRY_SECONDS)
                self._swept_at = None  # whatever the failure left: look at every pending row
                await asyncio.sleep(RETRY_SECONDS)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SWEEP_SECONDS)

    async def drain(self) -> int:
        """Process this process's own rows, then (when due) every other pending row, oldest first;
        returns how many were looked at."""
        done, mine = 0, sorted(self._mine)  # what arrives meanwhile wakes the next round
        for start in range(0, len(mine), TOGETHER):
            if self._stopping:
                break
            done += await self._process(mine[start : start + TOGETHER])
        if not self._stopping and self._sweep_due():
            done += await self._sweep()
        await self._release_processed_elsewhere()
        return done

    def _sweep_due(self) -> bool:
        return self._swept_at is None or time.monotonic() - self._swept_at >= SWEEP_SECONDS

    async def _sweep(self) -> int:
        done = 0
        while not self._stopping:
            async with self.dispatcher.uow() as uow:
                ids = await uow.inbox.pending(self.batch)
            for start in range(0, len(ids), TOGETHER):
                if self._stopping:
                    break
                done += await self._process(ids[start : start + TOGETHER])
            if len(ids) < self.batch:
                self._swept_at = time.monotonic()
                break
        return done

    async def _process(self, chunk: list[int]) -> int:
        """One transaction for the chunk; the waiters of the rows it processed are released (a row
        another process holds right now stays awaited until it is seen processed)."""
        taken = await self.dispatcher.process_many(chunk)
        for inbox_id in taken:
            self._release(inbox_id)
        self._elsewhere.update(set(chunk) - set(taken))
        return len(chunk)

    def _release(self, inbox_id: int) -> None:
        self._mine.discard(inbox_id)
        waiter = self._waiters.pop(inbox_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _release_processed_elsewhere(self) -> None:
        """The rows another process had when this one tried them are released once seen processed
        (only those: every other awaited row is this process's to process, no query needed)."""
        if not self._elsewhere:
            return
        async with self.dispatcher.uow() as uow:
            done = await uow.inbox.processed_among(sorted(self._elsewhere))
        for inbox_id in done:
            self._release(inbox_id)
        self._elsewhere.difference_update(done)

"""The inbox loop: processes stored messages in arrival order, at start, on every arrival, after errors.

Gateways hand messages to ``receive`` (stored, then acknowledged) or store them themselves and call
``stored`` (the simulator keeps its chat log row in the same transaction). One loop per process
takes the unprocessed rows oldest first; with two processes on one PostgreSQL database each row is
still processed once (``InboxRepository.take``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from handlers.dispatcher import Dispatcher
from handlers.messages import IncomingMessage

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0  # after a failed round (the database gone, say): try the pending rows again
WAIT_SECONDS = 10.0  # a sender waits at most this long for its message to be processed
IDLE_SECONDS = 30.0  # arrivals wake the loop; this only picks up what nobody woke it for
TOGETHER = 32  # messages processed in one transaction (one commit); a failure splits them up


class InboxProcessor:
    def __init__(self, dispatcher: Dispatcher, batch: int = 100) -> None:
        self.dispatcher = dispatcher
        self.batch = batch
        self._wake = asyncio.Event()
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._stopping = False

    async def receive(self, message: IncomingMessage) -> None:
        if await self.dispatcher.accept(message) is not None:
            self._wake.set()

    async def stored(self, inbox_id: int) -> None:
        waiter = self._waiters.setdefault(inbox_id, asyncio.get_running_loop().create_future())
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            # Stored is what counts: if processing is slow, the row is still processed later.
            await asyncio.wait_for(asyncio.shield(waiter), WAIT_SECONDS)

    def stop(self) -> None:
        """Finish the message in hand, then leave ``run``."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Process what is pending (what a crash left too), then whatever arrives, until stopped."""
        while not self._stopping:
            self._wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("inbox round failed; retrying in %.0f s", RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)

    async def drain(self) -> int:
        """Process every pending row, oldest first; returns how many were looked at."""
        done = 0
        while not self._stopping:
            async with self.dispatcher.uow() as uow:
                ids = await uow.inbox.pending(self.batch)
            for start in range(0, len(ids), TOGETHER):
                chunk = ids[start : start + TOGETHER]
                await self.dispatcher.process_many(chunk)  # one commit for the chunk
                for inbox_id in chunk:
                    self._release(inbox_id)
                done += len(chunk)
                if self._stopping:
                    break
            if len(ids) < self.batch:
                break
        await self._release_processed_elsewhere()
        return done

    def _release(self, inbox_id: int) -> None:
        waiter = self._waiters.pop(inbox_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _release_processed_elsewhere(self) -> None:
        """A message still awaited may have been processed by another bot process."""
        if not self._waiters:
            return
        async with self.dispatcher.uow() as uow:
            for inbox_id in await uow.inbox.processed_among(list(self._waiters)):
                self._release(inbox_id)

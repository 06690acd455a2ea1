"""The outbox sender: delivers committed replies, retries while the gateway is down, rate-limits.

Each message is leased in a short transaction (``not_before`` pushed ahead), sent, then marked
sent. A crash after sending and before marking re-sends once after the lease; a crash before
sending loses nothing. ``SKIP LOCKED`` keeps two processes from taking the same row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from aiolimiter import AsyncLimiter

from handlers.clock import Clock
from handlers.dispatcher import Deliver
from handlers.messages import Gateway, GatewayUnavailable, OutgoingMessage
from storage.domain import Priority
from storage.liveness import Liveness
from storage.models import OutboxMessage
from storage.outbox import Chats, chat_of
from storage.send_budget import SendLimits
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
BATCH = 20  # rows leased at once; each is still marked sent on its own, right after it went
STORED_BATCH = 64  # rows a gateway that stores what it is sent takes in one transaction
MAX_ATTEMPTS = 20  # an unexplained error this often is not going to heal by itself
# Errors that retrying cannot fix: a room or person the platform does not know, a malformed message.
PERMANENT = (LookupError, ValueError)


@runtime_checkable
class StoresSent(Protocol):
    """A gateway that keeps what it is sent in the bot's own database (the simulator)."""

    async def store_sent(self, uow: UnitOfWork, messages: list[OutgoingMessage]) -> Callable[[], None]:
        """Stage ``messages`` in ``uow``; the returned function shows them once it has committed."""


@dataclass(frozen=True)
class RateLimit:
    per_minute: float = 20.0  # per room ([sending] per_room_per_minute); 0: unpaced (the simulator)
    jitter_seconds: tuple[float, float] = (0.3, 1.5)  # a human-like pause between messages to one room
    # The account's own limits, counted across every bot process (storage/send_budget.py); None:
    # no account-wide limit (the simulator).
    account: SendLimits | None = None


DEFAULT_ACCOUNT = "default"  # the one account of a config without [[accounts]]
GOVERNOR_STEP = 5.0  # the longest the governor sleeps before asking the shared budget again


@runtime_checkable
class Splits(Protocol):
    """A gateway that splits long messages: each part counts against the account's limit."""

    def parts(self, message: OutgoingMessage) -> int:
        """How many messages the platform will receive for ``message``."""


class Wakeup:
    """One sender's side of the signal: woken, and told the gateway is back."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.retry_held = False


class OutboxSignal:
    """How the rest of the bot nudges the senders (one per account): made first, handed to everyone
    who writes to the outbox (dispatcher, jobs) or knows when a gateway is back, and to the senders."""

    def __init__(self) -> None:
        self._senders: list[Wakeup] = []

    def listen(self) -> Wakeup:
        wakeup = Wakeup()
        self._senders.append(wakeup)
        return wakeup

    def wake(self) -> None:
        """Something was committed to the outbox: look now rather than at the next idle poll."""
        for wakeup in self._senders:
            wakeup.event.set()

    def retry_soon(self) -> None:
        """A gateway is back: what backoff held back goes out now, not minutes later."""
        for wakeup in self._senders:
            wakeup.retry_held = True
            wakeup.event.set()


class OutboxSender:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        gateway: Gateway,
        clock: Clock,
        rate: RateLimit = RateLimit(),
        signal: OutboxSignal | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        account: str = DEFAULT_ACCOUNT,
        chats: Callable[[], Chats | None] = lambda: None,
        holder: str | None = None,
    ) -> None:
        self.uow, self.gateway, self.clock, self.rate = uow, gateway, clock, rate
        signal = signal or OutboxSignal()
        self.wake, self.retry_soon, self._wakeup = signal.wake, signal.retry_soon, signal.listen()
        # The account it sends for, and the chats that account answers now (None: every chat).
        self.account, self.chats = account, chats
        self.holder = holder  # this process, written on what it leases (storage/liveness.py)
        self.failed_at: datetime | None = None  # the last send that did not go through (failover)
        self._sleep = sleep
        self._limiters: dict[str, AsyncLimiter] = {}
        self.governor_waits = 0  # times a message waited for the account's budget (/metrics)
        self._running = False
        self._next: asyncio.Future[None] | None = None  # the round those who asked during this one wait for
        self._stopping = False

    def stop(self) -> None:
        """Finish the message being sent, then leave ``run`` (a cancel in the middle of a database
        call can leave a connection open behind the pool's back)."""
        self._stopping = True
        self._wakeup.event.set()

    async def run(self, idle_seconds: float = 1.0) -> None:
        """Deliver until stopped; a failure is logged and never stops the loop."""
        while not self._stopping:
            try:
                await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.event.wait(), idle_seconds)
            self._wakeup.event.clear()

    async def deliver_due(self) -> int:
        """Send everything due now, in order; stops early while the gateway is down.

        Callers that arrive while a round runs do not each run one after it: they all wait for the
        one next round (which sees every row committed before they called), so 32 requests asking
        at once cost two rounds, not 32."""
        if self._running:
            if self._next is None:
                self._next = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._next)
            return 0
        self._running, sent = True, 0
        try:
            sent = await self._round()
            while (waiting := self._next) is not None:
                self._next = None
                try:
                    sent += await self._round()
                finally:
                    waiting.set_result(None)  # on an error too: it reaches the round's caller; the rest go on
        finally:
            self._running = False
            if self._next is not None:  # asked while a round failed: let them try for themselves
                self._next.set_result(None)
                self._next = None
        return sent

    async def _round(self) -> int:
        """One delivery round; ``deliver_due`` never runs two at once (``_running``)."""
        sent = 0
        if self._wakeup.retry_held:
            self._wakeup.retry_held = False
            async with self.uow() as uow:
                await uow.outbox.retry_now(self.clock.now(), self.chats())
                await uow.commit()
        if (storing := self._storing()) is not None:
            sent, finished = await self._store_all(storing)
            if finished:
                return sent
        if self.rate.account is not None:
            return sent + await self._governed_round(self.rate.account)
        while not self._stopping and (rows := await self._lease()):
            delivered = await self._send_all(rows)
            sent += delivered
            if delivered < len(rows):
                break
        return sent

    def _storing(self) -> StoresSent | None:
        unpaced = self.rate.per_minute <= 0
        return self.gateway if isinstance(self.gateway, StoresSent) and unpaced else None

    def stores_directly(self) -> Deliver | None:
        """The gateway's ``store_sent`` when replies may skip the outbox round (a gateway that keeps
        what it is sent in this database, unpaced), else None."""
        storing = self._storing()
        return None if storing is None else storing.store_sent

    async def _store_all(self, gateway: StoresSent) -> tuple[int, bool]:
        """A gateway that keeps what it is sent in this database (the simulator): due rows are taken,
        stored by the gateway and marked sent in one transaction, so each is delivered exactly once
        for one commit a batch, with no lease. Any trouble (a message stored before a restart, say)
        and what is left goes the usual way, leased and sent one by one."""
        sent = 0
        while not self._stopping:
            try:
                async with self.uow() as uow:
                    now = self.clock.now()
                    rows = await uow.outbox.claim_due(now, STORED_BATCH, self.chats())
                    if not rows:
                        return sent, True
                    show = await gateway.store_sent(uow, [_message(row) for row in rows])
                    await uow.outbox.mark_sent([row.id for row in rows], now, self.account)
                    await uow.commit()
            except Exception:
                log.info("outbox: a batch could not be stored together; one by one")
                return sent, False
            show()
            sent += len(rows)
            if len(rows) < STORED_BATCH:
                # All that was due is out: no empty look to end on (a row committed meanwhile
                # wakes the sender again).
                return sent, True
        return sent, True

    async def _send_all(self, rows: list[OutboxMessage]) -> int:
        """Send leased rows in order; when one cannot go now, the rest are released for later."""
        for done, row in enumerate(rows):
            if self._stopping or not await self._send(row):
                await self._release(rows[done + 1 :] if not self._stopping else rows[done:])
                return done
        return len(rows)

    async def _lease(self, most: int = BATCH) -> list[OutboxMessage]:
        """Up to ``most`` due rows, leased in one short transaction (``not_before`` pushed ahead)."""
        async with self.uow() as uow:
            now = self.clock.now()
            rows = await uow.outbox.claim_due(now, most, self.chats())
            for row in rows:
                row.not_before, row.leased_by = now + LEASE, self.holder
            if rows:
                await uow.commit()
            return rows

    async def _release(self, rows: list[OutboxMessage]) -> None:
        if rows:
            async with self.uow() as uow:
                await uow.outbox.release([r.id for r in rows], self.clock.now())
                await uow.commit()

    async def _governed_round(self, limits: SendLimits) -> int:
        """With an account-wide limit: one row at a time is leased, waits for the shared budget
        (renewing its lease while other processes use the budget, so it is never taken and sent
        twice), and goes out as soon as the budget allows. A reminder, digest or push that must
        wait is put back until then instead, so an answer that arrives meanwhile goes first."""
        sent = 0
        while not self._stopping and (rows := await self._lease(most=1)):
            await self._pace(_chat(rows[0]))
            if not await self._governed(rows[0], limits):
                return sent  # put back until the budget allows; the next round leases answers first
            if not await self._deliver(rows[0]):
                return sent
            sent += 1
        return sent

    async def _send(self, row: OutboxMessage) -> bool:
        await self._pace(_chat(row))
        return await self._deliver(row)

    async def _deliver(self, row: OutboxMessage) -> bool:
        """Hand a leased row to the gateway and record how it went; False when the rest must wait."""
        message = _message(row)
        try:
            await self.gateway.send(message)
        except GatewayUnavailable as exc:
            log.info("outbox #%s held while account %s is unavailable: %s", row.id, self.account, exc)
            self.failed_at = self.clock.now()
            await self._finish(row.id, error=str(exc) or "gateway unavailable")
            return False
        except PERMANENT as exc:
            log.error("outbox #%s cannot be delivered, giving up: %s", row.id, exc)
            await self._finish(row.id, error=f"{type(exc).__name__}: {exc}", permanent=True)
            return True  # the next message may well go through
        except Exception as exc:
            log.exception("outbox #%s not delivered", row.id)
            self.failed_at = self.clock.now()
            await self._finish(row.id, error=str(exc) or type(exc).__name__)
            return False
        self.failed_at = None
        await self._finish(row.id)
        return True

    async def _finish(self, row_id: int, error: str | None = None, permanent: bool = False) -> None:
        async with self.uow() as uow:
            row = await uow.outbox.row(row_id)
            if row is None:
                return
            now = self.clock.now()
            if error is None:
                row.sent_at, row.sent_by = now, self.account
            elif permanent or row.attempts + 1 >= MAX_ATTEMPTS:
                uow.outbox.give_up(row, now, error)
            else:
                uow.outbox.postpone(row, now, error)
            await uow.commit()

    async def _pace(self, key: str) -> None:
        if self.rate.per_minute <= 0:
            return
        limiter = self._limiters.setdefault(key, AsyncLimiter(self.rate.per_minute, 60))
        await limiter.acquire()
        low, high = self.rate.jitter_seconds
        if high > 0:
            await self._sleep(random.uniform(low, high))

    async def _governed(self, row: OutboxMessage, limits: SendLimits) -> bool:
        """Wait until the account may send the row's message (its parts) to its chat, as counted
        over every bot process that sends for it (a lower priority within its share of the
        minute); the send is recorded as it is allowed, and while it waits the row's lease is renewed."""
        message, chat = _message(row), _chat(row)
        parts = self.gateway.parts(message) if isinstance(self.gateway, Splits) else 1
        while not self._stopping:
            async with self.uow() as uow:
                now = self.clock.now()
                wait = await uow.send_budget.reserve(
                    self.account, chat, parts, now, limits, Priority(row.priority)
                )
                answer = row.priority == Priority.ANSWER
                if wait > 0:  # an answer keeps its lease and waits; anything else waits unleased
                    until = now + timedelta(seconds=wait)
                    await uow.outbox.renew(row.id, until + LEASE if answer else until)
                await uow.commit()
            if wait <= 0:
                return True
            self.governor_waits += 1
            if not answer:
                return False
            await self._sleep(min(wait, GOVERNOR_STEP))
        return False


def _chat(row: OutboxMessage) -> str:
    return chat_of(row.room_id, row.to_id)


def _message(row: OutboxMessage) -> OutgoingMessage:
    """What the gateway is given: the row's key lets a gateway that remembers deliveries skip a repeat."""
    return OutgoingMessage(
        text=row.text,
        room_id=row.room_id,
        to_id=row.to_id,
        mentions=tuple(row.mentions),
        key=f"outbox-{row.id}",
    )


async def deliver_all(senders: dict[str, OutboxSender]) -> int:
    """Every account's due messages now (the simulator's API and time travel)."""
    return sum([await sender.deliver_due() for sender in senders.values()])


class LeaseReaper:
    """Hands back what a dead bot process had leased (found dead by ``storage.liveness``: its
    PostgreSQL lock is free), so its messages go out within seconds of a kill -9, not after the
    lease runs out."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, liveness: Liveness, every: float) -> None:
        self.uow, self.clock, self.liveness, self.every = uow, clock, liveness, every
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every)
            try:
                await self.reap()
            except Exception:
                log.exception("lease reaper: the look failed; trying again")

    async def reap(self) -> int:
        async with self.uow() as uow:
            now = self.clock.now()
            dead = await self.liveness.dead(await uow.outbox.lease_holders(now))
            freed = await uow.outbox.release_dead(dead, now)
            await uow.commit()
        if freed:
            log.warning("outbox: %s messages leased by a process that died are due again", freed)
        return freed

"""Several WeChat accounts: one answers each chat, and a chat moves when its account fails.

Each group has a home account among the accounts in it (spread evenly); private chats have one too.
The ``responders`` table says which account answers each chat now, for every process: each
account's sender leases only its chats' messages. Every process reports the health of the accounts
it holds (connected, and its sends going through); whichever process looks next moves the chats
of an account down longer than ``[failover] after_seconds`` to another account in them, and back
once the home account has been well as long. Each move is logged and kept (the accounts page).

Every account in a group receives its messages: a group message is stored under one key made of
what every account sees alike (group, sender, second, text), so it is handled once whichever
account's copy arrives first, and none is lost while a chat moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from bot.config.accounts import AccountConfig, FailoverConfig
from bot.outbox import OutboxSender
from handlers.clock import TZ, Clock
from handlers.messages import Gateway, IncomingMessage, Receiver
from scheduler.deps import Capacity
from storage.domain import PRIVATE_CHATS, MoveReason
from storage.models import AccountHealth
from storage.outbox import Chats
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
SHARED_ROOMS = "rooms"  # the inbox's gateway name for group messages any account may bring
NOWHERE = Chats(frozenset(), private=False)


def homes(accounts: Sequence[AccountConfig], rooms: Iterable[str]) -> dict[str, str]:
    """Each group's home: among the accounts in it, the one with the fewest groups so far (the
    order of [[accounts]] breaks ties); private chats: the first account that may answer them."""
    load = {a.name: 0 for a in accounts}
    chosen: dict[str, str] = {}
    for room in sorted(rooms):
        present = [a.name for a in accounts if a.serves(room)]
        if present:
            chosen[room] = min(present, key=lambda name: load[name])
            load[chosen[room]] += 1
    private = [a.name for a in accounts if a.private]
    if private:
        chosen[PRIVATE_CHATS] = private[0]
    return chosen


def present_in(accounts: Sequence[AccountConfig], chat: str) -> list[str]:
    if chat == PRIVATE_CHATS:
        return [a.name for a in accounts if a.private]
    return [a.name for a in accounts if a.serves(chat)]


@dataclass(frozen=True)
class Health:
    up: bool
    since: datetime  # up (or down) since


def health(
    rows: Sequence[AccountHealth], names: Iterable[str], now: datetime, fresh: timedelta, never: datetime
) -> dict[str, Health]:
    """Each account's health over every process's report: up while one process that reported
    lately has it up (since the earliest of those); else down since its last report (one no
    process ever reported: since ``never``, when the chats were settled)."""
    result: dict[str, Health] = {}
    for name in names:
        mine = [r for r in rows if r.account == name]
        live = [r for r in mine if r.seen_at >= now - fresh]
        ups = [r.since for r in live if r.up]
        if ups:
            result[name] = Health(True, min(ups))
            continue
        downs = [r.since for r in live] + [r.seen_at for r in mine if r not in live]
        result[name] = Health(False, max(downs) if downs else never)
    return result


@dataclass(frozen=True)
class Move:
    chat: str
    to: str
    reason: MoveReason


def plan(
    current: Mapping[str, tuple[str, str]],
    well: Mapping[str, Health],
    present: Callable[[str], list[str]],
    now: datetime,
    after: timedelta,
) -> list[Move]:
    """The moves due now. ``current``: chat → (account answering it, its home). A chat goes home
    once its home has been up ``after``; it leaves an account down ``after`` for its home or,
    if that is down too, the account up in it that answers the fewest chats."""
    load: dict[str, int] = {}
    for account, _home in current.values():
        load[account] = load.get(account, 0) + 1
    moves = []
    for chat, (account, home) in sorted(current.items()):
        if account != home and _up_for(well, home, now, after):
            moves.append(Move(chat, home, MoveReason.BACK))
        elif not _up_for(well, account, now, timedelta(0)) and _down_for(well, account, now, after):
            others = [a for a in present(chat) if a != account and _up_for(well, a, now, timedelta(0))]
            if others:
                to = home if home in others else min(others, key=lambda a: load.get(a, 0))
                load[to] = load.get(to, 0) + 1
                moves.append(Move(chat, to, MoveReason.DOWN))
    return moves


def _up_for(well: Mapping[str, Health], account: str, now: datetime, span: timedelta) -> bool:
    h = well.get(account)
    return h is not None and h.up and now - h.since >= span


def _down_for(well: Mapping[str, Health], account: str, now: datetime, span: timedelta) -> bool:
    h = well.get(account)
    return h is None or (not h.up and now - h.since >= span)


class Responders:
    """This process's copy of who answers which chat (refreshed by ``Failover.check``)."""

    def __init__(self, single: str | None = None) -> None:
        self.single = single  # one account answers everything: no table to read
        self.answering: dict[str, str] = {}

    def account_of(self, chat: str) -> str | None:
        return self.single if self.single is not None else self.answering.get(chat)

    def chats_of(self, account: str) -> Chats | None:
        """The chats ``account`` answers now; None: every chat (the only account)."""
        if self.single is not None:
            return None if account == self.single else NOWHERE
        rooms = frozenset(c for c, a in self.answering.items() if a == account and c != PRIVATE_CHATS)
        return Chats(rooms, private=self.answering.get(PRIVATE_CHATS) == account)


def capacity(
    accounts: Sequence[AccountConfig], responders: Responders, rooms: Sequence[str]
) -> Callable[[UnitOfWork, datetime], Awaitable[Capacity | None]]:
    """What each account may still send today: its limit a minute times the minutes left until
    midnight, less what already waits in its chats (the jobs compose nothing past that)."""

    async def left_today(uow: UnitOfWork, now: datetime) -> Capacity | None:
        depth = await uow.outbox.depth()
        waiting: dict[str | None, int] = {}
        for (room, _priority), n in depth.items():
            account = responders.account_of(room or PRIVATE_CHATS)
            waiting[account] = waiting.get(account, 0) + n
        local = now.astimezone(TZ)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0), TZ)
        minutes = (midnight - local).total_seconds() / 60
        left = {
            a.name: a.rate.account.per_minute * minutes - waiting.get(a.name, 0)
            for a in accounts
            if a.rate.account is not None
        }
        account_of = {room: name for room in rooms if (name := responders.account_of(room)) is not None}
        return Capacity(account_of, left)

    return left_today


class SharedRoomKeys:
    """A ``Receiver`` for the accounts of several: a group message is stored under a key that every
    account's copy of it shares (a private one under the account's own message id); what one of the
    bot's accounts said, another one hears but leaves alone."""

    def __init__(self, receiver: Receiver, own_ids: frozenset[str]) -> None:
        self.receiver, self.own_ids = receiver, own_ids

    async def receive(self, message: IncomingMessage) -> None:
        if message.sender_id in self.own_ids:
            return
        await self.receiver.receive(shared(message))

    async def stored(self, inbox_id: int) -> None:
        await self.receiver.stored(inbox_id)


def shared(message: IncomingMessage) -> IncomingMessage:
    """The key of a group message that every account in the group computes alike."""
    if message.room_id is None:
        return message
    second = int(message.at.timestamp())
    seen = f"{message.room_id}\x1f{message.sender_id}\x1f{second}\x1f{message.kind}\x1f{message.text}"
    key = hashlib.sha256(seen.encode()).hexdigest()[:40]
    return replace(message, gateway=SHARED_ROOMS, message_id=key)


@dataclass
class HeldAccount:
    """An account this process holds: its gateway and its sender."""

    config: AccountConfig
    gateway: Gateway
    sender: OutboxSender
    up: bool = False
    since: datetime | None = None

    def observe(self, now: datetime, cool_down: timedelta) -> None:
        """Up while connected and no send failed (throttled, broken) for ``cool_down``."""
        failed = self.sender.failed_at
        up = self.gateway.connected and (failed is None or now - failed >= cool_down)
        if self.since is None or up != self.up:
            self.up, self.since = up, now


def process_holder() -> str:
    """This process's name in the health reports and on the leases it takes: host, pid, a nonce."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class Failover:
    """Reports this process's accounts and hands chats over (see the module's docstring)."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        accounts: Sequence[AccountConfig],
        held: Sequence[HeldAccount],
        config: FailoverConfig,
        responders: Responders,
        on_moved: Callable[[], None],
        holder: str,
    ) -> None:
        self.uow, self.clock, self.accounts, self.held = uow, clock, accounts, held
        self.config, self.responders, self.on_moved = config, responders, on_moved
        self.after = timedelta(seconds=config.after_seconds)
        self.holder = holder
        self._stopping = asyncio.Event()

    async def start(self, rooms: Iterable[str]) -> None:
        """Settle the configured homes, then look once."""
        async with self.uow() as uow:
            await uow.responders.lock()
            await uow.responders.settle(homes(self.accounts, rooms), self.clock.now())
            await uow.commit()
        await self.check()

    async def run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.check_seconds)
            if self._stopping.is_set():
                return
            try:
                await self.check()
            except Exception:
                log.exception("failover: the check failed; trying again")

    def stop(self) -> None:
        self._stopping.set()

    async def check(self) -> list[Move]:
        """Report, move what is due, and refresh this process's copy of who answers what."""
        now = self.clock.now()
        async with self.uow() as uow:
            await uow.responders.lock()
            for account in self.held:
                account.observe(now, self.after)
                assert account.since is not None
                await uow.responders.report(
                    account.config.name, self.holder, up=account.up, since=account.since, now=now
                )
            moves = await self._move(uow, now)
            await uow.responders.forget_holders(now - timedelta(days=1))
            self.responders.answering = {r.chat: r.account for r in await uow.responders.all()}
            await uow.commit()
        if moves:
            self.on_moved()
        return moves

    async def _move(self, uow: UnitOfWork, now: datetime) -> list[Move]:
        rows = await uow.responders.all()
        fresh = timedelta(seconds=max(3 * self.config.check_seconds, 1.0))
        settled = min((r.since for r in rows), default=now)
        names = [a.name for a in self.accounts]
        well = health(await uow.responders.health(), names, now, fresh, never=settled)
        current = {r.chat: (r.account, r.home) for r in rows}
        moves = plan(current, well, lambda chat: present_in(self.accounts, chat), now, self.after)
        for move in moves:
            before = await uow.responders.move(move.chat, move.to, now, move.reason)
            log.warning(
                "failover: %s moved from account %s to %s (%s)", move.chat, before, move.to, move.reason
            )
            await uow.outbox.retry_now(now, _chat(move.chat))
        return moves


def _chat(chat: str) -> Chats:
    if chat == PRIVATE_CHATS:
        return Chats(frozenset(), private=True)
    return Chats(frozenset({chat}), private=False)

"""The embedded default gateway: a group chat kept in the database and shown on a web page.

People post through the page (or the JSON API); the bot's replies arrive through ``send`` like on
any platform. Private messages to a member live in the pseudo-room ``dm:<member id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from handlers.clock import TZ, Clock
from handlers.messages import GatewayUnavailable, IncomingMessage, OutgoingMessage, Receiver
from handlers.roster.model import Roster
from storage.chat_feed import ChatFeed
from storage.models import ChatLog
from storage.uow import GroupCommit, UnitOfWork

log = logging.getLogger(__name__)
DM_PREFIX = "dm:"
FEED_READY_SECONDS = 5.0  # a page waits at most this long for the feed before it opens
SHOWN_KEPT = 5000  # ids remembered as pushed: far more than a few seconds of any group's traffic


class UnknownRoomOrSender(ValueError):
    pass


@dataclass
class _Post:
    """A person's message on its way into the chat log and the inbox (``SimulatorGateway._store``)."""

    room_id: str
    sender_id: str
    sender_name: str
    text: str
    mentions: list[str]
    at: datetime
    client_msg_id: str | None
    id: int = 0  # the chat row's, once stored


async def _chat_rows(uow: UnitOfWork, posts: list[_Post]) -> list[_Post]:
    """The posts stored in the chat log (one multi-row INSERT), each with its row's id."""
    rows = [{f.name: getattr(p, f.name) for f in fields(p) if f.name != "id"} for p in posts]
    ids = await uow.chat_log.insert(rows)
    return [replace(p, id=i) for p, i in zip(posts, ids, strict=True)]


def chat_json(row: ChatLog | _Post) -> dict[str, Any]:
    return {
        "id": row.id,
        "room_id": row.room_id,
        "sender_id": row.sender_id,
        "sender_name": row.sender_name,
        "text": row.text,
        "mentions": list(row.mentions),
        "at": row.at.astimezone(TZ).isoformat(),
    }


class SimulatorGateway:
    name = "sim"

    def __init__(
        self, uow: Callable[[], UnitOfWork], roster: Roster, clock: Clock, feed: ChatFeed | None = None
    ) -> None:
        self.uow, self.roster, self.clock = uow, roster, clock
        self._posts = GroupCommit(uow, self._store)
        self._inbox: Receiver | None = None
        self._listeners: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._feed = feed  # other processes' rows, while any page listens
        self._following: asyncio.Task[None] | None = None
        self._feed_ready = asyncio.Event()  # the followed feed's: a new one with each following
        self._shown: OrderedDict[int, None] = OrderedDict()  # ids pushed to pages lately

    @property
    def connected(self) -> bool:
        return self._inbox is not None

    async def start(self, inbox: Receiver) -> None:
        self._inbox = inbox

    async def stop(self) -> None:
        self._inbox = None
        if self._following is not None:
            self._following.cancel()
            self._following = None

    # --- people talking ---------------------------------------------------------
    async def post(
        self, room_id: str, sender_id: str, text: str, client_msg_id: str | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Store a person's message (its chat row and inbox row together), show it, and return once
        the bot has handled it: (the chat row, whether it is new). The same ``client_msg_id``
        again returns the first row and changes nothing. ``dm:<sender id>`` is the sender's private
        chat with the bot (a reply there is a private message, as on WeChat)."""
        member = self.roster.member(sender_id)
        if member is None:
            raise UnknownRoomOrSender(f"unknown sender {sender_id!r}")
        if self.roster.room(room_id) is None and room_id != f"{DM_PREFIX}{member.id}":
            raise UnknownRoomOrSender(f"unknown room {room_id!r}")
        text = text.strip()
        if not text:
            raise UnknownRoomOrSender("empty text")
        try:
            data, inbox_id = await self._store_post(room_id, member.id, member.name, text, client_msg_id)
        except IntegrityError:  # this client_msg_id was posted before (a client's retry)
            return await self._earlier(client_msg_id), False
        self._publish(room_id, data)
        if self._inbox is not None:
            await self._inbox.stored(inbox_id)
        return data, True

    async def _store_post(
        self, room_id: str, sender_id: str, name: str, text: str, client_msg_id: str | None
    ) -> tuple[dict[str, Any], int]:
        """The chat row and the inbox row, committed together with whatever other posts arrived at
        the same moment (one fsync and one INSERT per table for all of them). No lookup of
        ``client_msg_id`` first: a repeat fails on its unique key, and ``post`` answers it with
        the first row."""
        post = _Post(room_id, sender_id, name, text, self.mentions_in(text), self.clock.now(), client_msg_id)
        stored: tuple[dict[str, Any], int] = await self._posts.run(post)
        return stored

    async def _store(self, uow: UnitOfWork, posts: list[_Post]) -> list[tuple[dict[str, Any], int]]:
        """``GroupCommit``'s write: chat rows, then the inbox rows named after them."""
        stored = await _chat_rows(uow, posts)
        inbox_ids = await uow.inbox.insert_new([self._incoming(p).as_row(p.at) for p in stored])
        return [(chat_json(p), i) for p, i in zip(stored, inbox_ids, strict=True)]

    def _incoming(self, post: _Post) -> IncomingMessage:
        room = None if post.room_id.startswith(DM_PREFIX) else post.room_id
        return IncomingMessage(
            message_id=f"sim-{post.id}",
            room_id=room,
            sender_id=post.sender_id,
            text=post.text,
            at=post.at,
            mentions=tuple(post.mentions),
            sender_name=post.sender_name,
            gateway=self.name,
        )

    async def _earlier(self, client_msg_id: str | None) -> dict[str, Any]:
        async with self.uow() as uow:
            row = await uow.chat_log.by_client_id(client_msg_id or "")
            assert row is not None, "only a known client_msg_id comes back here"
            return chat_json(row)

    def mentions_in(self, text: str) -> list[str]:
        """Member ids for every ``@name`` in the text, the bot included (longest name first)."""
        names = {m.name: m.id for m in self.roster.members}
        names.update({n: self.roster.bot_id for n in (self.roster.bot_name, *self.roster.bot_aliases)})
        found: list[str] = []
        for match in re.finditer(r"@(\S+)", text):
            word = match.group(1)
            best = max((n for n in names if word.startswith(n)), key=len, default=None)
            if best and names[best] not in found:
                found.append(names[best])
        return found

    # --- the bot talking --------------------------------------------------------
    async def send(self, message: OutgoingMessage) -> None:
        """Exactly once in the group: a message delivered before a crash is not stored again."""
        try:
            async with self.uow() as uow:
                show = await self.store_sent(uow, [message])
                await uow.commit()
        except IntegrityError:
            log.info("simulator: %s was delivered before a restart; not again", message.key)
            return
        show()

    async def store_sent(self, uow: UnitOfWork, messages: list[OutgoingMessage]) -> Callable[[], None]:
        """The bot's messages stored in the caller's transaction (the outbox sender marks them sent in
        the same one: delivered exactly once). Returns what shows them to open pages once committed.
        A message stored before (its key) fails the transaction with IntegrityError."""
        now, bot = self.clock.now(), self.roster
        posts = [
            _Post(
                m.room_id or f"{DM_PREFIX}{m.to_id}",
                bot.bot_id,
                bot.bot_name,
                m.text,
                list(m.mentions),
                now,
                m.key,
            )
            for m in messages
        ]
        shown = [(row.room_id, chat_json(row)) for row in await _chat_rows(uow, posts)]

        def show() -> None:
            for room_id, data in shown:
                self._publish(room_id, data)

        return show

    # --- live updates and history ------------------------------------------------
    def _publish(self, room_id: str, data: dict[str, Any]) -> None:
        """To the room's open pages, once: a row of this process also comes back through the feed.
        With no page open nothing is remembered (a page opened later loads it as history)."""
        pages = self._listeners.get(room_id)
        if not pages or data["id"] in self._shown:
            return
        self._shown[data["id"]] = None
        if len(self._shown) > SHOWN_KEPT:
            self._shown.popitem(last=False)
        for queue in list(pages):
            queue.put_nowait(data)

    async def _arrived(self, ids: list[int]) -> None:
        """Rows the feed saw commit (here or in another process): the new ones of rooms with pages open."""
        ids = [i for i in ids if i not in self._shown]
        if not ids or not self._listeners:
            return
        async with self.uow() as uow:
            rows = [(row.room_id, chat_json(row)) for row in await uow.chat_log.by_ids(ids)]
        for room_id, data in rows:
            if room_id in self._listeners:
                self._publish(room_id, data)

    async def history(self, room_id: str, after: int = 0, before: int | None = None) -> list[dict[str, Any]]:
        """Messages after ``after`` (oldest first); with ``before``, the newest 100 older than it."""
        async with self.uow() as uow:
            rows = (
                await uow.chat_log.after(room_id, after)
                if before is None
                else await uow.chat_log.before(room_id, before)
            )
            return [chat_json(r) for r in rows]

    async def subscribe(self, room_id: str) -> asyncio.Queue[dict[str, Any]]:
        """A page's queue of the room's new messages. The first page starts following the feed;
        each returns once the feed hands on every row committed from now on (or after
        ``FEED_READY_SECONDS``, the database gone: then this process's own rows only)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners.setdefault(room_id, set()).add(queue)
        if self._feed is not None:
            if self._following is None:
                self._feed_ready = asyncio.Event()
                self._following = asyncio.create_task(self._feed.run(self._arrived, self._feed_ready))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._feed_ready.wait(), FEED_READY_SECONDS)
        return queue

    def unsubscribe(self, room_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """The last page gone, the feed is no longer followed."""
        listening = self._listeners.get(room_id, set())
        listening.discard(queue)
        if not listening:
            self._listeners.pop(room_id, None)
        if not self._listeners and self._following is not None:
            self._following.cancel()
            self._following = None


class SimulatedAccount:
    """One of several bot accounts in the simulator: it speaks in the simulated groups through the
    one ``SimulatorGateway`` (every account sees what people post there), and can be cut off and
    brought back (``POST /sim/api/accounts/<name>``) to watch its groups move to another account."""

    def __init__(self, simulator: SimulatorGateway, account: str) -> None:
        self.simulator, self.account = simulator, account
        self.name = f"sim:{account}"
        self.cut = False

    @property
    def connected(self) -> bool:
        return self.simulator.connected and not self.cut

    async def start(self, inbox: Receiver) -> None:
        await self.simulator.start(inbox)

    async def stop(self) -> None:
        await self.simulator.stop()

    async def send(self, message: OutgoingMessage) -> None:
        if self.cut:
            raise GatewayUnavailable(f"simulated account {self.account} is cut off")
        await self.simulator.send(message)

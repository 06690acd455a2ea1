"""The wechaty gateway: a Wechaty puppet service (gRPC) in, plain messages out. See ``docs/wechaty.md``.

A facade over four parts: ``Connection`` (sessions, reconnects, health), ``PuppetContacts`` (who is
who), ``Inbound`` (events → ``IncomingMessage``) and ``Outbound`` (``OutgoingMessage`` → puppet).
It keeps no state beyond caches: it never touches the database or the workflow.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.gateways.wechaty.client import PuppetClient, default_puppet
from bot.gateways.wechaty.connection import Connection
from bot.gateways.wechaty.contacts import PuppetContacts
from bot.gateways.wechaty.inbound import GATEWAY_NAME, Inbound
from bot.gateways.wechaty.options import WechatyOptions
from bot.gateways.wechaty.outbound import Outbound
from bot.gateways.wechaty.reconnect import Sleep
from bot.gateways.wechaty.splitting import split_text
from handlers.clock import TZ
from handlers.messages import GatewayUnavailable, OutgoingMessage, Receiver
from handlers.roster.model import Member, Room, Roster

log = logging.getLogger(__name__)


def _never_command(_text: str) -> bool:
    return False


class WechatyGateway:
    """``Gateway`` over a Wechaty puppet service."""

    name = GATEWAY_NAME

    def __init__(
        self,
        options: WechatyOptions,
        *,
        rooms: Sequence[Room],
        members: Sequence[Member],
        bot_id: str | None = None,
        bot_names: Sequence[str] = (),
        looks_like_command: Callable[[str], bool] = _never_command,
        puppet_factory: Callable[[WechatyOptions], PuppetClient] = default_puppet,
        now: Callable[[], datetime] | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        on_connected: Callable[[], None] | None = None,
    ) -> None:
        self.options = options
        rng, now = rng or random.Random(), now or (lambda: datetime.now(TZ))
        self._bot_names = tuple(n for n in bot_names if n)
        self.contacts = PuppetContacts(rooms, members, bot_id=bot_id, name_ttl=options.name_ttl)
        self.connection = Connection(options, puppet_factory, now, sleep, rng)
        self.inbound = Inbound(self.contacts, options.mode, looks_like_command, now)
        self.outbound = Outbound(self.contacts, options, sleep, rng)
        # Called after every (re)connect, e.g. to wake the outbox sender so replies held while
        # disconnected go out at once.
        self.on_connected = on_connected
        self._inbox: Receiver | None = None
        self._send_lock = asyncio.Lock()
        self._received = self._handed_on = 0

    @classmethod
    def from_roster(cls, options: WechatyOptions, roster: Roster, **kwargs: Any) -> WechatyGateway:
        return cls(
            options,
            rooms=roster.rooms,
            members=roster.members,
            bot_id=roster.bot_id,
            bot_names=(roster.bot_name, *roster.bot_aliases),
            **kwargs,
        )

    # --- Gateway protocol -----------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.connection.ready.is_set()

    async def start(self, inbox: Receiver) -> None:
        """Start connecting in the background and return; messages go to ``inbox``."""
        self._inbox = inbox
        self.connection.start(self._on_event)

    async def stop(self) -> None:
        await self.connection.stop()

    def parts(self, message: OutgoingMessage) -> int:
        """How many WeChat messages ``message`` becomes (a long one is split): the send governor
        counts each against the account's limit."""
        return max(1, len(split_text(message.text, self.options.max_bytes)))

    async def send(self, message: OutgoingMessage) -> None:
        """Send one message (split on lines when longer than ``max_bytes``).

        Raises ``GatewayUnavailable`` when not connected or when the puppet fails; parts of a
        split message already sent are not sent again when the same message is retried.
        Raises ``LookupError`` for a room or person the puppet does not know (retrying will
        not help until the configuration changes).
        """
        async with self._send_lock:
            puppet = self.connection.puppet
            if puppet is None or not self.connected:
                raise GatewayUnavailable("wechaty gateway is not connected")
            await self.outbound.send(puppet, message)

    async def wait_connected(self) -> None:
        """Wait until logged in on the puppet service (wrap in ``asyncio.timeout``)."""
        await self.connection.ready.wait()

    def update_roster(
        self, *, rooms: Sequence[Room] | None = None, members: Sequence[Member] | None = None
    ) -> None:
        """Take a changed configuration (rooms, members) without reconnecting."""
        self.contacts.update(rooms, members)

    def health(self) -> dict[str, Any]:
        c, d, o = self.connection, self.contacts, self.options
        return {
            "gateway": self.name,
            "state": c.state,
            "connected": self.connected,
            "endpoint": o.endpoint,
            "tls": o.tls,
            "mode": o.mode,
            "login_id": d.login_id,
            "connected_since": c.connected_since.isoformat() if c.connected_since else None,
            "last_event_at": c.last_event_at.isoformat() if c.last_event_at else None,
            "last_error": c.last_error,
            "next_retry_in": c.next_retry_in,
            "rooms_matched": d.rooms.matched(),
            "rooms_unmatched": d.rooms.unmatched(),
            "contacts_matched": d.book.known_contacts(),
            "sessions": c.sessions,
            "received": self._received,
            "handed_on": self._handed_on,
            "sent": self.outbound.sent,
            "send_failures": self.outbound.failures,
        }

    # --- puppet events --------------------------------------------------------------------
    async def _on_event(self, puppet: PuppetClient, event: str, payload: Any) -> None:
        if event == "login":
            await self._on_login(puppet, payload.contact_id)
        elif event == "logout":
            log.warning("wechaty: the account logged out (%s)", getattr(payload, "data", ""))
            self.connection.logged_out()
        elif event == "message":
            await self._on_message(puppet, payload.message_id)
        elif event in ("room-join", "room-leave", "room-topic"):
            await self._on_room_change(puppet, event, payload)
        elif event == "error":
            log.warning("wechaty puppet error: %s", getattr(payload, "data", payload))

    async def _on_login(self, puppet: PuppetClient, contact_id: str) -> None:
        await self.contacts.log_in(puppet, contact_id, self._bot_names)
        self.connection.logged_in(puppet)
        if self.on_connected is not None:
            try:
                self.on_connected()
            except Exception:
                log.exception("wechaty: on_connected callback failed")
        rooms = self.contacts.rooms
        log.info(
            "wechaty gateway connected as %s; rooms matched %s, unmatched %s",
            contact_id,
            rooms.matched(),
            rooms.unmatched(),
        )

    async def _on_message(self, puppet: PuppetClient, message_id: str) -> None:
        self._received += 1
        incoming = await self.inbound.read(puppet, message_id)
        if incoming is None or self._inbox is None:
            return
        self._handed_on += 1
        await self._inbox.receive(incoming)

    async def _on_room_change(self, puppet: PuppetClient, event: str, payload: Any) -> None:
        d = self.contacts
        if event == "room-join":
            for contact_id in payload.invited_ids or []:
                d.forget(contact_id)
                if payload.room_id and d.rooms.configured_id(payload.room_id):
                    await d.resolve_member(puppet, payload.room_id, contact_id)
        elif event == "room-leave":
            for contact_id in payload.removed_ids or []:
                d.forget(contact_id)
        elif payload.room_id:  # room-topic
            before = d.rooms.configured_id(payload.room_id)
            after = d.rooms.learn(payload.room_id, payload.new_topic)
            if before != after:
                log.info(
                    "wechaty: group %s renamed to %r: now room %s", payload.room_id, payload.new_topic, after
                )

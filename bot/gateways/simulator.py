"""The embedded default gateway: a group chat kept in the database and shown on a web page.

People post through the page (or the JSON API); the bot's replies arrive through ``send`` like on
any platform. Private messages to a member live in the pseudo-room ``dm:<member id>``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from handlers.clock import TZ, Clock
from handlers.messages import Inbox, IncomingMessage, OutgoingMessage
from handlers.roster import Directory
from storage.models import ChatLog
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
DM_PREFIX = "dm:"


class UnknownRoomOrSender(ValueError):
    pass


def chat_json(row: ChatLog) -> dict[str, Any]:
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

    def __init__(self, uow: Callable[[], UnitOfWork], directory: Directory, clock: Clock) -> None:
        self.uow, self.directory, self.clock = uow, directory, clock
        self._inbox: Inbox | None = None
        self._listeners: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    @property
    def connected(self) -> bool:
        return self._inbox is not None

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def stop(self) -> None:
        self._inbox = None

    # --- people talking ---------------------------------------------------------
    async def post(self, room_id: str, sender_id: str, text: str) -> dict[str, Any]:
        """Store a person's message, show it, then hand it to the bot."""
        member = self.directory.member(sender_id)
        if self.directory.room(room_id) is None:
            raise UnknownRoomOrSender(f"unknown room {room_id!r}")
        if member is None:
            raise UnknownRoomOrSender(f"unknown sender {sender_id!r}")
        text = text.strip()
        if not text:
            raise UnknownRoomOrSender("empty text")
        mentions = self.mentions_in(text)
        row = await self._store(room_id, sender_id, member.name, text, mentions, self.clock.now())
        if self._inbox is not None:
            message = IncomingMessage(
                message_id=f"sim-{row['id']}",
                room_id=room_id,
                sender_id=sender_id,
                text=text,
                at=self.clock.now(),
                mentions=tuple(mentions),
                sender_name=member.name,
                gateway=self.name,
            )
            await self._inbox(message)
        return row

    def mentions_in(self, text: str) -> list[str]:
        """Member ids for every ``@name`` in the text, the bot included (longest name first)."""
        names = {m.name: m.id for m in self.directory.members}
        names.update(
            {n: self.directory.bot_id for n in (self.directory.bot_name, *self.directory.bot_aliases)}
        )
        found: list[str] = []
        for match in re.finditer(r"@(\S+)", text):
            word = match.group(1)
            best = max((n for n in names if word.startswith(n)), key=len, default=None)
            if best and names[best] not in found:
                found.append(names[best])
        return found

    # --- the bot talking --------------------------------------------------------
    async def send(self, message: OutgoingMessage) -> None:
        room = message.room_id or f"{DM_PREFIX}{message.to_id}"
        await self._store(
            room,
            self.directory.bot_id,
            self.directory.bot_name,
            message.text,
            list(message.mentions),
            self.clock.now(),
        )

    # --- storage and live updates -------------------------------------------------
    async def _store(
        self, room_id: str, sender_id: str, name: str, text: str, mentions: list[str], at: datetime
    ) -> dict[str, Any]:
        async with self.uow() as uow:
            row = uow.repo.add_chat(
                room_id=room_id, sender_id=sender_id, sender_name=name, text=text, mentions=mentions, at=at
            )
            await uow.commit()
            data = chat_json(row)
        for queue in list(self._listeners.get(room_id, ())):
            queue.put_nowait(data)
        return data

    async def history(self, room_id: str, after: int = 0) -> list[dict[str, Any]]:
        async with self.uow() as uow:
            return [chat_json(r) for r in await uow.repo.chat_after(room_id, after)]

    def subscribe(self, room_id: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners.setdefault(room_id, set()).add(queue)
        return queue

    def unsubscribe(self, room_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._listeners.get(room_id, set()).discard(queue)

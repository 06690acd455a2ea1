"""Puppet message events in, ``IncomingMessage`` out: which group, who, what, and is it for us."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.gateways.wechaty.client import PuppetClient
from bot.gateways.wechaty.contacts import PuppetContacts
from bot.gateways.wechaty.mapping import (
    Mode,
    SeenIds,
    is_addressed,
    message_kind,
    strip_bot_mention,
    to_datetime,
)
from handlers.messages import IncomingMessage, repaired

GATEWAY_NAME = "wechaty"


class Inbound:
    def __init__(
        self,
        contacts: PuppetContacts,
        mode: Mode,
        looks_like_command: Callable[[str], bool],
        now: Callable[[], datetime],
    ) -> None:
        self.contacts = contacts
        self.mode = mode
        self.looks_like_command = looks_like_command
        self.now = now
        self._seen = SeenIds()

    async def read(self, puppet: PuppetClient, message_id: str) -> IncomingMessage | None:
        """The message for the bot, or None: our own echo, another group, not addressed, a repeat."""
        d = self.contacts
        payload = await puppet.message_payload(message_id)
        if not payload.from_id or payload.from_id == d.login_id:
            return None  # our own reply coming back
        puppet_room = payload.room_id or None
        room_id = await d.room_for(puppet, puppet_room) if puppet_room else None
        if puppet_room and room_id is None:
            return None  # a group we are not configured for: stay silent
        if not puppet_room and payload.to_id and d.login_id and payload.to_id != d.login_id:
            return None  # a private chat between others (some puppets report those)
        kind = message_kind(payload.type)
        mention_ids = list(payload.mention_ids or [])
        mentioned = bool(d.login_id) and d.login_id in mention_ids
        text = await self._text(puppet, payload, kind, puppet_room, mentioned)
        addressed = is_addressed(
            self.mode,
            private=puppet_room is None,
            mentioned=mentioned,
            text=text,
            kind=kind,
            looks_like_command=self.looks_like_command,
        )
        if not addressed or not self._seen.add(payload.id or message_id):
            return None  # not for us, or delivered again after a reconnect
        return await self._incoming(puppet, payload, message_id, room_id, text, kind, mention_ids)

    async def _text(
        self, puppet: PuppetClient, payload: Any, kind: str, puppet_room: str | None, mentioned: bool
    ) -> str:
        """The words without the @bot; a file's name; nothing for pictures (they carry XML)."""
        if kind == "file":
            return payload.filename or ""
        if kind != "text":
            return ""
        text = payload.text or ""
        if mentioned or puppet_room is None:
            names = self.contacts.login_names
            if puppet_room and mentioned:
                names = (*names, *await self.contacts.bot_alias(puppet, puppet_room))
            text = strip_bot_mention(text, names)
        return text

    async def _incoming(
        self,
        puppet: PuppetClient,
        payload: Any,
        message_id: str,
        room_id: str | None,
        text: str,
        kind: str,
        mention_ids: list[str],
    ) -> IncomingMessage:
        d = self.contacts
        puppet_room = payload.room_id or None
        sender_id, sender_name = await d.resolve_member(puppet, puppet_room, payload.from_id)
        for contact_id in mention_ids:
            if contact_id != d.login_id:
                await d.resolve_member(puppet, puppet_room, contact_id)
        return IncomingMessage(
            message_id=payload.id or message_id,
            room_id=room_id,
            sender_id=sender_id,
            text=repaired(text),  # no NUL or half a UTF-16 pair reaches the database
            at=to_datetime(payload.timestamp, self.now()),
            mentions=tuple(dict.fromkeys(d.book.member_id_for(cid) for cid in mention_ids)),
            sender_name=sender_name,
            kind=kind,
            gateway=GATEWAY_NAME,
        )

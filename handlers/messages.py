"""Plain messages between gateways and the workflow; no platform types cross this line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from storage.domain import Priority
from storage.models import InboxMessage

MAX_TEXT = 4000  # characters; a longer message is refused with this limit, never cut silently
_SURROGATES = re.compile("[\ud800-\udfff]")


def has_broken_characters(text: str) -> bool:
    """A NUL, or half of a UTF-16 pair (no database can store it as text)."""
    return "\x00" in text or _SURROGATES.search(text) is not None


def repaired(text: str) -> str:
    """``text`` with NULs dropped and lone surrogates shown as U+FFFD (what a gateway passes on)."""
    return _SURROGATES.sub("\ufffd", text.replace("\x00", "")) if has_broken_characters(text) else text


@dataclass(frozen=True)
class IncomingMessage:
    """One chat message as a gateway saw it.

    ``room_id`` is None for a private chat with the bot. ``kind`` is ``text`` for ordinary
    messages; gateways pass ``image``/``file``/``other`` for content the bot cannot read.
    """

    message_id: str
    room_id: str | None
    sender_id: str
    text: str
    at: datetime
    mentions: tuple[str, ...] = ()
    sender_name: str | None = None
    kind: str = "text"
    gateway: str = "sim"

    def as_row(self, received_at: datetime) -> dict[str, Any]:
        """The fields of its durable inbox row (``storage.models.InboxMessage``)."""
        return {
            "gateway": self.gateway,
            "message_id": self.message_id,
            "room_id": self.room_id,
            "sender_id": self.sender_id,
            "sender_name": self.sender_name,
            "text": self.text,
            "mentions": list(self.mentions),
            "kind": self.kind,
            "at": self.at,
            "received_at": received_at,
        }

    @classmethod
    def from_row(cls, row: InboxMessage) -> IncomingMessage:
        return cls(
            message_id=row.message_id,
            room_id=row.room_id,
            sender_id=row.sender_id,
            text=row.text,
            at=row.at,
            mentions=tuple(row.mentions or ()),
            sender_name=row.sender_name,
            kind=row.kind,
            gateway=row.gateway,
        )


@dataclass(frozen=True)
class OutgoingMessage:
    """Something the bot says: in a room (``room_id``) or privately (``to_id``)."""

    text: str
    room_id: str | None = None
    to_id: str | None = None
    mentions: tuple[str, ...] = field(default=())
    # The outbox row's id: a gateway that can remember what it delivered (the simulator) sends a
    # message again after a crash only if it never arrived. WeChat cannot; it may see a repeat.
    key: str | None = None
    # What it is about, when a fresher message on the same matter replaces this one while it still
    # waits to go (a private note to 营商办 about one 共性问题 group): one current message, not a pile.
    topic: str | None = None
    # How soon it must go when an account has more to say than it may: an answer to the person who
    # wrote first; a note about others' appeals (to 营商办) as a reminder.
    priority: Priority = Priority.ANSWER

    def __post_init__(self) -> None:
        if (self.room_id is None) == (self.to_id is None):
            raise ValueError("an outgoing message goes to exactly one of room_id or to_id")

    @classmethod
    def answer(cls, message: IncomingMessage, text: str, mentions: Iterable[str] = ()) -> OutgoingMessage:
        """A reply where ``message`` came from: its group, or privately to its sender."""
        ids = tuple(dict.fromkeys(m for m in mentions if m))
        if message.room_id is None:
            return cls(text=text, to_id=message.sender_id, mentions=ids)
        return cls(text=text, room_id=message.room_id, mentions=ids)


class Receiver(Protocol):
    """Where a gateway hands what it receives (``bot/inbox_processor.py``)."""

    async def receive(self, message: IncomingMessage) -> None:
        """Store the message durably (once per gateway message id) and have it processed; returns
        once it is stored, so the gateway may acknowledge it."""

    async def stored(self, inbox_id: int) -> None:
        """The gateway stored the row itself, in its own transaction (the simulator, with its chat
        log): have it processed; returns once it has been."""


class GatewayUnavailable(Exception):
    """The gateway cannot deliver right now; the outbox keeps the message and retries."""


class Gateway(Protocol):
    """What the bot needs from a chat platform."""

    name: str

    async def start(self, inbox: Receiver) -> None:
        """Begin delivering incoming messages to ``inbox``; returns once started."""

    async def stop(self) -> None: ...

    async def send(self, message: OutgoingMessage) -> None:
        """Deliver one message or raise ``GatewayUnavailable``."""

    @property
    def connected(self) -> bool: ...

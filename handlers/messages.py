"""Plain messages between gateways and the workflow; no platform types cross this line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


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


@dataclass(frozen=True)
class OutgoingMessage:
    """Something the bot says: in a room (``room_id``) or privately (``to_id``)."""

    text: str
    room_id: str | None = None
    to_id: str | None = None
    mentions: tuple[str, ...] = field(default=())

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


Inbox = Callable[[IncomingMessage], Awaitable[None]]


class GatewayUnavailable(Exception):
    """The gateway cannot deliver right now; the outbox keeps the message and retries."""


class Gateway(Protocol):
    """What the bot needs from a chat platform."""

    name: str

    async def start(self, inbox: Inbox) -> None:
        """Begin delivering incoming messages to ``inbox``; returns once started."""

    async def stop(self) -> None: ...

    async def send(self, message: OutgoingMessage) -> None:
        """Deliver one message or raise ``GatewayUnavailable``."""

    @property
    def connected(self) -> bool: ...

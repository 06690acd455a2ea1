"""Hand-written fakes for what no test can reach (WeChat itself): they record what the bot said."""

from __future__ import annotations

import asyncio

from handlers.messages import GatewayUnavailable, IncomingMessage, OutgoingMessage, Receiver


class RecordingGateway:
    """A gateway that keeps a transcript of every delivered message and can be switched off."""

    name = "fake"

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.up = True
        self.inbox: Receiver | None = None
        self.attempts = 0

    @property
    def connected(self) -> bool:
        return self.up

    async def start(self, inbox: Receiver) -> None:
        self.inbox = inbox

    async def stop(self) -> None:
        self.inbox = None

    async def send(self, message: OutgoingMessage) -> None:
        self.attempts += 1
        if not self.up:
            raise GatewayUnavailable("fake gateway is down")
        self.sent.append(message)

    def texts(self) -> list[str]:
        return [m.text for m in self.sent]


class CollectingInbox:
    """An ``Inbox`` that keeps what a gateway received, in order (tests of a gateway alone)."""

    def __init__(self) -> None:
        self.got: list[IncomingMessage] = []
        self.queue: asyncio.Queue[IncomingMessage] = asyncio.Queue()

    async def receive(self, message: IncomingMessage) -> None:
        self.got.append(message)
        await self.queue.put(message)

    async def stored(self, inbox_id: int) -> None:
        raise AssertionError("a gateway under test stores nothing itself")

"""The ``Chat`` driver: a test reads like the group (who said what, what the bot answered)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.outbox import OutboxSender
from handlers.clock import ForwardClock
from handlers.dispatcher import Dispatcher
from handlers.intake.classifier import ModelClassifier
from handlers.messages import IncomingMessage, OutgoingMessage
from tests.support.fakes import RecordingGateway

ROOM = "mianyang-qiyejia@chatroom"
EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


@dataclass
class Chat:
    """Drives the bot like people in the group: ``await chat.say("认领 1", by="h_gd_shi")``."""

    dispatcher: Dispatcher
    sender: OutboxSender
    gateway: RecordingGateway
    clock: ForwardClock
    room_id: str = ROOM
    _counter: int = 0
    last: list[OutgoingMessage] = field(default_factory=list)

    async def say(
        self,
        text: str,
        by: str,
        *,
        message_id: str | None = None,
        room_id: str | None = ROOM,
        kind: str = "text",
    ) -> list[OutgoingMessage]:
        self._counter += 1
        message = IncomingMessage(
            message_id=message_id or f"m{self._counter}",
            room_id=room_id,
            sender_id=by,
            text=text,
            at=self.clock.now(),
            mentions=(),
            kind=kind,
            gateway="fake",
        )
        before = len(self.gateway.sent)
        await self.dispatcher.handle(message)
        await self.sender.deliver_due()
        self.last = self.gateway.sent[before:]
        return self.last

    def one_reply(self) -> str:
        assert len(self.last) == 1, f"expected one reply, got {[m.text for m in self.last]}"
        return self.last[0].text

    def silent(self) -> bool:
        return not self.last


class FreshClassifier(ModelClassifier):
    """The session's model, copied on the first ``learn`` so that no test teaches another."""

    def learn(self, text: str, category: str) -> None:
        if not getattr(self, "_own", False):
            self.model, self._own = self.model.copy(), True
        super().learn(text, category)

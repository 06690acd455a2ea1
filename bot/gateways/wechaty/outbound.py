"""``OutgoingMessage`` out through the puppet: the right group or person, real @s, long texts split.

A message split into parts remembers the parts already sent, so a retry after a failure in the
middle does not repeat them.
"""

from __future__ import annotations

import asyncio
import logging
import random

from bot.gateways.wechaty.client import PuppetClient
from bot.gateways.wechaty.contacts import PuppetContacts
from bot.gateways.wechaty.mapping import with_mention_prefix
from bot.gateways.wechaty.options import WechatyOptions
from bot.gateways.wechaty.reconnect import Sleep
from bot.gateways.wechaty.splitting import split_text
from handlers.messages import GatewayUnavailable, OutgoingMessage

log = logging.getLogger(__name__)
PartKey = tuple[str, str, tuple[str, ...]]


class Outbound:
    def __init__(self, contacts: PuppetContacts, options: WechatyOptions, sleep: Sleep, rng: random.Random):
        self.contacts = contacts
        self.options = options
        self._sleep = sleep
        self._rng = rng
        self._partial: dict[PartKey, int] = {}  # parts already sent of a message that failed midway
        self.sent = self.failures = 0

    async def send(self, puppet: PuppetClient, message: OutgoingMessage) -> None:
        """``LookupError`` for a group or person the puppet does not know; ``GatewayUnavailable``
        when the puppet fails (the outbox retries)."""
        try:
            conversation = await self.contacts.conversation_for(puppet, message)
            mention_ids = await self.contacts.mention_ids(puppet, message, conversation)
        except LookupError:
            raise
        except Exception as exc:
            raise GatewayUnavailable(f"wechaty lookup failed: {exc!r}") from exc
        book = self.contacts.book
        text = with_mention_prefix(
            message.text, [(book.display(cid) or "", book.labels(cid)) for cid in mention_ids]
        )
        key = (conversation, text, tuple(mention_ids))
        parts = split_text(text, self.options.max_bytes)
        for index in range(self._partial.get(key, 0), len(parts)):
            await self._send_part(puppet, key, parts, index)
        self._partial.pop(key, None)
        self.sent += 1

    async def _send_part(self, puppet: PuppetClient, key: PartKey, parts: list[str], index: int) -> None:
        conversation, _, mention_ids = key
        if index > 0:
            await self._sleep(self.options.part_delay * self._rng.uniform(0.8, 1.5))
        try:
            call = puppet.message_send_text(
                conversation, parts[index], list(mention_ids) if index == 0 else []
            )
            await asyncio.wait_for(call, self.options.send_timeout)
        except Exception as exc:
            self.failures += 1
            if index > 0:
                self._partial[key] = index
            log.warning(
                "wechaty send to %s failed (part %d/%d): %r", conversation, index + 1, len(parts), exc
            )
            raise GatewayUnavailable(f"wechaty send failed: {exc!r}") from exc

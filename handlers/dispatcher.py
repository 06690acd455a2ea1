"""One way in: ``Dispatcher.handle(message)``, one transaction per message.

The message id, every state change and the replies it causes (the outbox) commit together, so a
redelivered message does nothing and an acknowledged appeal is never lost. Nothing is announced
before it is committed: replies leave through the outbox sender (``bot/outbox.py``), or, for a
gateway that keeps what it is sent in this same database (the simulator), are stored by it in the
handling transaction (``Dispatcher.deliver``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from handlers.clock import Clock
from handlers.context import Context, Services
from handlers.intake.pipeline import intake
from handlers.messages import MAX_TEXT, IncomingMessage, OutgoingMessage
from handlers.notices.propose import propose
from handlers.notices.receipts import take_answer
from handlers.parser import parse, strip_mentions
from handlers.replies import texts
from handlers.roster.model import Member
from handlers.router import CommandTable
from storage.domain import EventKind, Role
from storage.models import InboxMessage, IssueEvent
from storage.uow import UnitOfWork, first_wins

log = logging.getLogger(__name__)
# A gateway that keeps what it is sent in this database (the simulator): replies staged in the
# transaction that handles their message; the function it returns shows them once committed.
Deliver = Callable[[UnitOfWork, list[OutgoingMessage]], Awaitable[Callable[[], None]]]


def _nothing_to_show() -> None:
    pass


class Dispatcher:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        services: Services,
        clock: Clock,
        commands: CommandTable,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.uow = uow
        self.services = services
        self.clock = clock
        self.commands = commands
        self.on_commit = on_commit  # wakes the outbox sender
        self.deliver: Deliver | None = None  # set by the composition root for the simulator

    async def actor(self, uow: UnitOfWork, message: IncomingMessage) -> Member:
        """The roster member; else an unknown person, treated as an enterprise member (of the
        enterprise the coordinator confirmed for them with 确认绑定, if any)."""
        member = self.services.roster.member(message.sender_id)
        if member is not None:
            return member
        binding = await uow.bindings.confirmed(message.sender_id)
        return Member(
            id=message.sender_id,
            name=message.sender_name or (binding.member_name if binding else message.sender_id),
            role=Role.ENTERPRISE,
            enterprise=binding.enterprise if binding else None,
        )

    async def accept(self, message: IncomingMessage) -> int | None:
        """Store a received message in its own short transaction: its inbox id, or None when this
        gateway's message id was stored before (a redelivery, or another process storing it at the
        same moment, changes nothing)."""
        what = f"message {message.gateway}/{message.message_id}"
        return await first_wins(self._store(message), None, what)

    async def _store(self, message: IncomingMessage) -> int | None:
        async with self.uow() as uow:
            inbox_id = await uow.inbox.store(**message.as_row(self.clock.now()))
            await uow.commit()
        return inbox_id

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        """Accept and process at once (tests, and callers without a processing loop)."""
        inbox_id = await self.accept(message)
        return [] if inbox_id is None else await self.process(inbox_id)

    async def process(self, inbox_id: int) -> list[OutgoingMessage]:
        """Act on one stored message in one transaction that also marks it processed."""
        return await self._attempt(inbox_id) or []

    async def _attempt(self, inbox_id: int) -> list[OutgoingMessage] | None:
        """``process``; None when this call did not process the row (processed before, or by
        another bot process, or not even the apology could be recorded)."""
        try:
            replies = await self._process(inbox_id)
        except Exception:
            if await self._processed_elsewhere(inbox_id):
                log.info("inbox #%s: another process got there first", inbox_id)
                return None
            log.exception("handling inbox #%s failed", inbox_id)
            replies = await self._apologize(inbox_id)
        self._wake_sender()
        return replies

    def _wake_sender(self) -> None:
        """Replies went to the outbox: the sender looks now (delivered already: nothing to look for)."""
        if self.deliver is None:
            self.on_commit()

    async def _processed_elsewhere(self, inbox_id: int) -> bool:
        """Two bot processes took the same row at once and the other one committed first."""
        try:
            async with self.uow() as uow:
                return bool(await uow.inbox.processed_among([inbox_id]))
        except Exception:
            return False

    async def process_many(self, inbox_ids: list[int]) -> list[int]:
        """Several stored messages in one transaction, so they share one commit (one fsync). Each
        is still its own: if any fails, the transaction rolls back and every one is processed on
        its own, so a bad message never takes the others with it. Returns the ids this call
        processed (a row another process holds right now is not among them)."""
        if len(inbox_ids) < 2:
            return await self._one_by_one(inbox_ids)
        try:
            contexts, taken, show = await self._process_together(inbox_ids)
        except Exception:
            log.info("a batch of %d messages failed; processing them one by one", len(inbox_ids))
            return await self._one_by_one(inbox_ids)
        show()
        for ctx in contexts:
            for hook in ctx.after_commit:
                hook()
        self._wake_sender()
        return taken

    async def _one_by_one(self, inbox_ids: list[int]) -> list[int]:
        return [i for i in inbox_ids if await self._attempt(i) is not None]

    async def _process_together(
        self, inbox_ids: list[int]
    ) -> tuple[list[Context], list[int], Callable[[], None]]:
        async with self.uow() as uow:
            rows = await uow.inbox.take_many(inbox_ids, self.clock.now())
            contexts = [await self._handle(uow, row) for row in rows]
            show = await self._write_replies(uow, [(r, ctx.now) for ctx in contexts for r in ctx.replies])
            await uow.commit()
        return contexts, [row.id for row in rows], show

    async def _write_replies(
        self, uow: UnitOfWork, replies: list[tuple[OutgoingMessage, datetime]]
    ) -> Callable[[], None]:
        """To the outbox, for the sender; or, with a gateway that keeps what it is sent in this
        database (``deliver``), to the gateway in this same transaction, the outbox rows already
        sent: a reply is in the group the moment its message counts as processed."""
        if self.deliver is None or not replies:
            await uow.outbox.write_replies(replies)
            return _nothing_to_show
        await uow.outbox.write_replies(replies, sent_at=self.clock.now())
        return await self.deliver(uow, [reply for reply, _ in replies])

    async def _process(self, inbox_id: int) -> list[OutgoingMessage] | None:
        async with self.uow() as uow:
            row = await uow.inbox.take(inbox_id, self.clock.now())
            if row is None:
                return None  # processed already, or right now by another bot process
            ctx = await self._handle(uow, row)
            show = await self._write_replies(uow, [(r, ctx.now) for r in ctx.replies])
            await uow.commit()
        show()
        for hook in ctx.after_commit:
            hook()
        return ctx.replies

    async def _handle(self, uow: UnitOfWork, row: InboxMessage) -> Context:
        """Act on a taken row inside ``uow`` (the caller writes the replies and commits)."""
        message = IncomingMessage.from_row(row)
        ctx = Context(
            uow, self.services, message, await self.actor(uow, message), self.clock.now(), self.commands
        )
        if self._is_ours(message):
            await self.route(ctx)
        return ctx

    def _is_ours(self, message: IncomingMessage) -> bool:
        # Silent in rooms we were not configured for; private chats are always ours.
        return message.room_id is None or self.services.roster.room(message.room_id) is not None

    async def _apologize(self, inbox_id: int) -> list[OutgoingMessage] | None:
        """Mark the message processed (so it doesn't fail again) and say sorry once; None when
        this could not be done."""
        try:
            async with self.uow() as uow:
                row = await uow.inbox.take(inbox_id, self.clock.now())
                if row is None:
                    return None
                reply = OutgoingMessage.answer(IncomingMessage.from_row(row), texts.internal_error())
                show = await self._write_replies(uow, [(reply, self.clock.now())])
                await uow.commit()
        except Exception:
            log.exception("could not even record the apology for inbox #%s", inbox_id)
            return None  # left unprocessed: the inbox loop tries again later
        show()
        return [reply]

    async def route(self, ctx: Context) -> None:
        """Exactly one path per message: a command, or intake. Roles are checked here, once."""
        d = ctx.roster
        if ctx.message.kind != "text":
            await _attachment(ctx)
            return
        if len(ctx.message.text) > MAX_TEXT:
            ctx.reply(texts.too_long(MAX_TEXT))  # refused with the limit, never cut silently
            return
        text, addressed = strip_mentions(ctx.message.text.strip(), (d.bot_name, *d.bot_aliases))
        addressed = addressed or d.bot_id in ctx.message.mentions or ctx.room_id is None
        parsed = parse(text, self.commands.verbs, addressed=addressed)
        command = self.commands.get(parsed.verb.key) if parsed is not None else None
        if command is not None and ctx.actor.role not in command.roles and command.chat_for_others:
            parsed = command = None  # words that are a command for others only: plain chat here
        if parsed is None or command is None:
            if text.startswith("/"):
                ctx.reply(texts.unknown_command())
                return
            await _chat(ctx)
            return
        if ctx.actor.role not in command.roles:
            ctx.reply(texts.wrong_role(command.name, command.roles))
            return
        await command.fn(ctx, parsed)


async def _chat(ctx: Context) -> None:
    """Not a command: a 回执 to a notice, a leader's notice the bot offers to track, or intake."""
    if await take_answer(ctx) or await propose(ctx):
        return
    await intake(ctx)


async def _attachment(ctx: Context) -> None:
    """A picture or file is noted on the sender's open ticket rather than lost."""
    since = ctx.now - timedelta(days=30)
    recent = await ctx.uow.tickets.latest_open_by_reporter(ctx.actor.id, since)
    if recent is None:
        return
    issue = await ctx.uow.tickets.get(recent.id)
    await ctx.uow.tickets.add_event(
        IssueEvent(
            issue_id=issue.id,
            kind=EventKind.ATTACHMENT.value,
            actor=ctx.actor.id,
            at=ctx.now,
            text=ctx.message.text or ctx.message.kind,
            data={"kind": ctx.message.kind},
        )
    )
    issue.updated_at = ctx.now

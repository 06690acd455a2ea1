"""What one message's handling can see and do: the unit of work, the roster, the clock, replies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from handlers.messages import IncomingMessage, OutgoingMessage
from handlers.policy import PolicyLibrary
from handlers.replies import texts
from handlers.roster.model import Member, Roster
from handlers.router import CommandTable
from handlers.verdict import Classifier, Verdict
from storage.domain import Priority, Role
from storage.models import Issue
from storage.uow import UnitOfWork

INLINE_CLASSIFY = 300  # characters: a longer message is classified off the event loop


class DeadlinePolicy(Protocol):
    """Sets a ticket's claim and resolve due times (the working-day clock lives behind this)."""

    def stamp(self, issue: Issue, now: datetime) -> None: ...

    def restart_claim(self, issue: Issue, now: datetime) -> None: ...

    def shorten(self, issue: Issue, now: datetime) -> None:
        """督办 or reopen: bring the due times closer (never later than they were)."""


class NoDeadlines:
    """No working-day clock configured (some unit tests): tickets carry no due times."""

    def stamp(self, issue: Issue, now: datetime) -> None:
        return None

    def restart_claim(self, issue: Issue, now: datetime) -> None:
        return None

    def shorten(self, issue: Issue, now: datetime) -> None:
        return None


@dataclass(frozen=True)
class Settings:
    """Workflow knobs from the config file."""

    confidence_threshold: float = 0.55
    follow_up_minutes: int = 30
    common_problem_count: int = 3
    common_problem_days: int = 7
    common_problem_similarity: float = 0.25  # text similarity (0–1) for "the same problem"


@dataclass
class Services:
    """Long-lived collaborators the workflow uses; built once by the app."""

    roster: Roster
    classifier: Classifier
    settings: Settings = field(default_factory=Settings)
    deadlines: DeadlinePolicy = field(default_factory=NoDeadlines)
    policies: PolicyLibrary | None = None  # 政策找企业: answers from the policy/FAQ library


@dataclass
class Context:
    uow: UnitOfWork
    services: Services
    message: IncomingMessage
    actor: Member
    now: datetime
    commands: CommandTable
    replies: list[OutgoingMessage] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    # The group of the ticket a command acted on, when it is not the group the command was said in:
    # the answer goes there (its people are party to it), the one who acted is told privately.
    ticket_room: str | None = None

    @property
    def roster(self) -> Roster:
        return self.services.roster

    @property
    def room_id(self) -> str | None:
        return self.message.room_id

    def reply(self, text: str, mentions: Iterable[str] = ()) -> None:
        """Answer where the message came from: the group, or privately to the sender — or, for a
        ticket of another group, in the ticket's group (never where its people are not)."""
        elsewhere = self.ticket_room is not None and self.room_id not in (None, self.ticket_room)
        if not elsewhere:
            self.replies.append(OutgoingMessage.answer(self.message, text, mentions))
            return
        ids = tuple(dict.fromkeys(m for m in mentions if m))
        self.replies.append(OutgoingMessage(text=text, room_id=self.ticket_room, mentions=ids))
        room = self.roster.room(self.ticket_room or "")
        note = texts.answered_in(room.name if room else self.ticket_room or "")
        if not any(r.text == note and r.to_id == self.actor.id for r in self.replies):
            self.tell(self.actor.id, note)

    def say(self, text: str, mentions: Iterable[str] = (), *, room_id: str | None) -> None:
        """Say something in ``room_id``; without a room, answer where the message came from."""
        if room_id is None:
            self.reply(text, mentions)
        else:
            ids = tuple(dict.fromkeys(m for m in mentions if m))
            self.replies.append(OutgoingMessage(text=text, room_id=room_id, mentions=ids))

    def tell(
        self, member_id: str, text: str, topic: str | None = None, priority: Priority = Priority.ANSWER
    ) -> None:
        """A private message to one member (e.g. a candidate for the coordinator); with ``topic``,
        it replaces the member's message on that topic still waiting to go; a note that answers
        no one goes as a reminder (``priority``), after the answers."""
        self.replies.append(OutgoingMessage(text=text, to_id=member_id, topic=topic, priority=priority))

    def at(self, member_ids: Iterable[str]) -> str:
        """``@王科长 @李专员``: the names to write for an @."""
        return texts.at(self.roster, member_ids)

    async def classify(self, text: str) -> Verdict:
        """The classifier's verdict; a long text is classified in a worker thread, so the event
        loop (other messages, /healthz) never waits for it."""
        classify = self.services.classifier.classify
        return classify(text) if len(text) <= INLINE_CLASSIFY else await asyncio.to_thread(classify, text)

    def teach(self, text: str, label: str) -> None:
        """After commit, the classifier learns ``text`` is ``label`` (归类, 转办, 驳回 of a candidate)."""
        learn = self.services.classifier.learn
        self.after_commit.append(lambda: learn(text, label))

    def coordinators(self, unit: str | None = None) -> list[str]:
        """营商办 of ``unit`` (default: the unit of the group this was said in), else of the nearest
        unit above that has one."""
        return self.roster.nearest(
            Role.COORDINATOR, self.roster.unit_of_room(self.room_id) if unit is None else unit
        )

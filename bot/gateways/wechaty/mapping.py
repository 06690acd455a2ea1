"""Who is who on a Wechaty puppet: pure mapping helpers for the wechaty gateway.

Nothing here talks to the network: the gateway fetches payloads and asks these helpers what
they mean (which configured room, which roster member, what kind of message, is it for us).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Literal

from handlers.clock import TZ
from handlers.roster.model import Member, Room

log = logging.getLogger(__name__)

Mode = Literal["all", "mentioned"]
MODES: tuple[Mode, ...] = ("all", "mentioned")
MENTION_SPACE = "\u2005"  # WeChat puts a four-per-em space after an @name

# wechaty-grpc MessageType values (as mapped by PuppetService.message_payload)
_KIND_BY_TYPE = {
    1: "file",  # ATTACHMENT
    5: "image",  # IMAGE
    6: "text",  # TEXT
    7: "file",  # VIDEO: kept as an attachment note
}


def message_kind(type_value: int) -> str:
    """``text``, ``image``, ``file`` or ``other`` for a wechaty-grpc MessageType value."""
    return _KIND_BY_TYPE.get(int(type_value), "other")


def to_datetime(timestamp: int | float, fallback: datetime) -> datetime:
    """A puppet timestamp (milliseconds; some puppets send seconds) as an aware Shanghai time."""
    if not timestamp or timestamp <= 0:
        return fallback.astimezone(TZ)
    seconds = timestamp / 1000 if timestamp > 10**11 else float(timestamp)
    return datetime.fromtimestamp(seconds, TZ)


def strip_bot_mention(text: str, names: Iterable[str]) -> str:
    """Remove ``@<name>`` + U+2005 (or a trailing ``@<name>``) for each of the bot's names."""
    result = text
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        tag = f"@{name}"
        result = result.replace(tag + MENTION_SPACE, "")
        stripped = result.rstrip()
        if stripped.endswith(tag):
            result = stripped[: -len(tag)]
        elif result.startswith(tag + " "):
            result = result[len(tag) + 1 :]
    return result.strip()


def is_addressed(
    mode: Mode,
    *,
    private: bool,
    mentioned: bool,
    text: str,
    kind: str,
    looks_like_command: Callable[[str], bool],
) -> bool:
    """Should the bot see this message at all?

    ``all``: every message. ``mentioned``: private chats, messages that @ the bot, commands
    (``looks_like_command`` or a leading ``/`` or ``#``), and pictures/files (so they can be
    noted on the sender's open ticket).
    """
    if mode == "all" or private or mentioned or kind in ("image", "file"):
        return True
    stripped = text.strip()
    if stripped.startswith(("/", "#", "＃")):
        return True
    return bool(stripped) and looks_like_command(stripped)


class RoomMap:
    """Configured rooms <-> puppet room ids: by id first, then by topic (the group's name)."""

    def __init__(self, rooms: Sequence[Room]) -> None:
        self._rooms = {r.id: r for r in rooms}
        self._by_topic: dict[str, Room] = {}
        for room in rooms:
            self._by_topic.setdefault(room.name.strip(), room)
        self._to_configured: dict[str, str | None] = {}
        self._to_puppet: dict[str, str] = {}
        self._topics: dict[str, str | None] = {}

    def with_rooms(self, rooms: Sequence[Room]) -> RoomMap:
        """A map for a changed room configuration, knowing the groups this one has seen."""
        fresh = RoomMap(rooms)
        for puppet_id, topic in self._topics.items():
            fresh.learn(puppet_id, topic)
        return fresh

    def learn(self, puppet_id: str, topic: str | None) -> str | None:
        """Record a puppet room and its topic; return the configured room id it is, or None."""
        self._topics[puppet_id] = topic
        room = self._rooms.get(puppet_id)
        if room is None and topic:
            room = self._by_topic.get(topic.strip())
            if room is not None and self._to_puppet.get(room.id) == room.id:
                room = None  # the room whose puppet id is the configured id wins over a topic
        previous = self._to_configured.get(puppet_id)
        if previous and (room is None or room.id != previous) and self._to_puppet.get(previous) == puppet_id:
            del self._to_puppet[previous]  # renamed: it no longer is that configured room
        if room is None:
            self._to_configured[puppet_id] = None
            return None
        taken = self._to_puppet.get(room.id)
        if taken and taken != puppet_id:
            log.warning(
                "two groups match configured room %s; using %s, ignoring %s", room.id, puppet_id, taken
            )
            self._to_configured[taken] = None
        self._to_configured[puppet_id] = room.id
        self._to_puppet[room.id] = puppet_id
        return room.id

    def known(self, puppet_id: str) -> bool:
        return puppet_id in self._to_configured

    def configured_id(self, puppet_id: str) -> str | None:
        return self._to_configured.get(puppet_id)

    def puppet_id(self, configured_id: str) -> str | None:
        return self._to_puppet.get(configured_id)

    def unmatched(self) -> list[str]:
        """Configured room ids with no puppet room yet."""
        return [rid for rid in self._rooms if rid not in self._to_puppet]

    def matched(self) -> dict[str, str]:
        return dict(self._to_puppet)


class ContactBook:
    """Puppet contact ids <-> roster member ids: by id, then room alias, then contact name.

    Names are matched exactly (after trimming) against ``Member.name`` and ``Member.aliases``;
    a name that fits two members matches neither.
    """

    def __init__(self, members: Sequence[Member], *, bot_id: str | None = None) -> None:
        self._members = {m.id: m for m in members}
        names: dict[str, set[str]] = {}
        for member in members:
            for label in (member.name, *member.aliases):
                if label.strip():
                    names.setdefault(label.strip(), set()).add(member.id)
        self._by_name = {label: next(iter(ids)) for label, ids in names.items() if len(ids) == 1}
        self._bot_id = bot_id
        self._login_id: str | None = None
        self._contact_to_member: dict[str, str] = {}
        self._member_to_contact: dict[str, str] = {}
        self._display: dict[str, str] = {}  # contact id -> how WeChat shows them

    def member(self, member_id: str) -> Member | None:
        return self._members.get(member_id)

    def set_login(self, login_id: str | None) -> None:
        self._login_id = login_id

    def direct(self, contact_id: str) -> Member | None:
        """The roster member whose configured id *is* this contact id."""
        return self._members.get(contact_id)

    def match(self, contact_id: str, *, room_alias: str = "", name: str = "") -> Member | None:
        """Which roster member this contact is, learning the answer; None if unknown."""
        member = self.direct(contact_id)
        if member is None:
            for label in (room_alias, name):
                member_id = self._by_name.get(label.strip()) if label else None
                if member_id:
                    member = self._members[member_id]
                    break
        display = (room_alias or name).strip()
        if display:
            self._display[contact_id] = display
        if member is None:
            if self._contact_to_member.pop(contact_id, None) is not None:
                self._member_to_contact = {
                    m: c for m, c in self._member_to_contact.items() if c != contact_id
                }
            return None
        self._contact_to_member[contact_id] = member.id
        self._member_to_contact[member.id] = contact_id
        return member

    def forget(self, contact_id: str) -> None:
        member_id = self._contact_to_member.pop(contact_id, None)
        if member_id and self._member_to_contact.get(member_id) == contact_id:
            del self._member_to_contact[member_id]

    def member_id_for(self, contact_id: str) -> str:
        """ContactBook id for a contact id (the bot's login id becomes the configured bot id);
        the contact id itself when the contact is not on the roster."""
        if self._login_id and contact_id == self._login_id and self._bot_id:
            return self._bot_id
        return self._contact_to_member.get(contact_id) or contact_id

    def contact_id_for(self, member_id: str) -> str | None:
        """Puppet contact id for a roster id (or a raw contact id); None when not yet known."""
        if self._bot_id and member_id == self._bot_id and self._login_id:
            return self._login_id
        if member_id in self._members:
            return self._member_to_contact.get(member_id)  # known once seen in a room
        return member_id  # not a roster id: a raw contact id already

    def labels(self, contact_id: str) -> list[str]:
        """Names under which this contact may already be @-mentioned in a text."""
        out: list[str] = []
        if contact_id in self._display:
            out.append(self._display[contact_id])
        member = self._members.get(self._contact_to_member.get(contact_id, contact_id))
        if member:
            out.extend([member.name, *member.aliases])
        return [label for label in out if label]

    def display(self, contact_id: str) -> str | None:
        if contact_id in self._display:
            return self._display[contact_id]
        member = self._members.get(self._contact_to_member.get(contact_id, contact_id))
        return member.name if member else None

    def known_contacts(self) -> int:
        return len(self._contact_to_member)


def with_mention_prefix(text: str, mentions: Sequence[tuple[str, list[str]]]) -> str:
    """Make sure each mentioned person appears as ``@name`` in the text, as WeChat expects.

    ``mentions`` holds (display name, labels already acceptable in the text) pairs; missing
    ones are prefixed as ``@<display>`` + U+2005, in order.
    """
    prefix = []
    for display, labels in mentions:
        if any(f"@{label}" in text for label in labels if label):
            continue
        if display:
            prefix.append(f"@{display}{MENTION_SPACE}")
    return "".join(prefix) + text


class SeenIds:
    """A bounded memory of message ids already handed on (redelivery after a reconnect)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def add(self, message_id: str) -> bool:
        """Remember the id; False if it was already there."""
        if message_id in self._ids:
            self._ids.move_to_end(message_id)
            return False
        self._ids[message_id] = None
        if len(self._ids) > self._limit:
            self._ids.popitem(last=False)
        return True

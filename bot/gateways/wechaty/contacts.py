"""Who is who on the puppet right now: groups by topic, people by id, group nickname or name.

The gateway's caches live here (names looked up recently, groups whose members were listed, the
bot's own nicknames); the pure mapping rules are in ``mapping.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from bot.gateways.wechaty.client import PuppetClient
from bot.gateways.wechaty.mapping import ContactBook, RoomMap
from handlers.messages import OutgoingMessage
from handlers.roster.model import Member, Room

log = logging.getLogger(__name__)


class PuppetContacts:
    def __init__(
        self, rooms: Sequence[Room], members: Sequence[Member], *, bot_id: str | None, name_ttl: float
    ) -> None:
        self.bot_id = bot_id
        self.name_ttl = name_ttl
        self.rooms = RoomMap(rooms)
        self.book = ContactBook(members, bot_id=bot_id)
        self.login_id: str | None = None
        self.login_names: tuple[str, ...] = ()
        self._name_checked: dict[str, float] = {}  # contact id -> monotonic time of the lookup
        self._members_synced: set[str] = set()  # puppet room ids whose members we resolved
        self._bot_aliases: dict[str, tuple[str, ...]] = {}  # puppet room id -> bot's group nickname

    def update(self, rooms: Sequence[Room] | None, members: Sequence[Member] | None) -> None:
        """Take a changed configuration (rooms, members) without reconnecting."""
        if rooms is not None:
            self.rooms = self.rooms.with_rooms(rooms)
        if members is not None:
            self.book = ContactBook(members, bot_id=self.bot_id)
            self.book.set_login(self.login_id)
            self._name_checked.clear()
            self._members_synced.clear()

    async def log_in(self, puppet: PuppetClient, contact_id: str, bot_names: Sequence[str]) -> None:
        """The account we are logged in as, its names, and the groups it is in."""
        self.login_id = contact_id
        self.book.set_login(contact_id)
        names = list(bot_names)
        try:
            me = await puppet.contact_payload(contact_id)
            if me.name:
                names.append(me.name)
        except Exception as exc:
            log.warning("wechaty: cannot read the bot's own name: %r", exc)
        self.login_names = tuple(dict.fromkeys(names))
        await self.sync_rooms(puppet)

    async def sync_rooms(self, puppet: PuppetClient) -> None:
        self._members_synced.clear()
        self._bot_aliases.clear()
        for room_id in await puppet.room_list():
            try:
                topic = (await puppet.room_payload(room_id)).topic
            except Exception as exc:
                log.warning("wechaty: cannot read group %s: %r", room_id, exc)
                continue
            self.rooms.learn(room_id, topic)

    async def sync_members(self, puppet: PuppetClient, only_room: str | None = None) -> None:
        """Look up the members of one group (or of every matched group) by name."""
        rooms = [only_room] if only_room else list(self.rooms.matched().values())
        for puppet_room in rooms:
            if puppet_room in self._members_synced and only_room is None:
                continue
            self._members_synced.add(puppet_room)
            for contact_id in await puppet.room_members(puppet_room):
                if contact_id != self.login_id:
                    self._name_checked.pop(contact_id, None)
                    await self.resolve_member(puppet, puppet_room, contact_id)

    def forget(self, contact_id: str) -> None:
        """Someone joined or left a group: look their names up again next time."""
        self._name_checked.pop(contact_id, None)

    async def room_for(self, puppet: PuppetClient, puppet_room: str) -> str | None:
        """The configured room of a puppet group (learning its topic the first time), or None."""
        if not self.rooms.known(puppet_room):
            self.rooms.learn(puppet_room, (await puppet.room_payload(puppet_room)).topic)
        return self.rooms.configured_id(puppet_room)

    async def bot_alias(self, puppet: PuppetClient, puppet_room: str) -> tuple[str, ...]:
        """The bot's own nickname in a group (WeChat writes @<that> when someone @s the bot)."""
        if puppet_room not in self._bot_aliases and self.login_id:
            try:
                member = await puppet.room_member_payload(puppet_room, self.login_id)
                alias = member.room_alias or ""
            except Exception as exc:
                log.debug("wechaty: no group nickname for the bot in %s: %r", puppet_room, exc)
                alias = ""
            self._bot_aliases[puppet_room] = (alias,) if alias else ()
        return self._bot_aliases.get(puppet_room, ())

    async def resolve_member(
        self, puppet: PuppetClient, puppet_room: str | None, contact_id: str
    ) -> tuple[str, str | None]:
        """(roster id or contact id, display name) for a contact, looking names up when stale."""
        direct = self.book.direct(contact_id)
        checked = self._name_checked.get(contact_id)
        if checked is not None and time.monotonic() - checked < self.name_ttl:
            return self.book.member_id_for(contact_id), self.book.display(contact_id)
        alias = name = ""
        try:
            if puppet_room:
                member = await puppet.room_member_payload(puppet_room, contact_id)
                alias, name = member.room_alias or "", member.name or ""
            if not name:
                name = (await puppet.contact_payload(contact_id)).name or ""
        except Exception as exc:
            log.warning("wechaty: cannot look up %s: %r", contact_id, exc)
            if direct is not None:
                return direct.id, direct.name
        matched = self.book.match(contact_id, room_alias=alias, name=name)
        self._name_checked[contact_id] = time.monotonic()
        display = alias or name or (matched.name if matched else None)
        return (matched.id if matched else contact_id), display

    async def conversation_for(self, puppet: PuppetClient, message: OutgoingMessage) -> str:
        """The puppet id of the group or person a message goes to (``LookupError`` when unknown)."""
        if message.room_id is not None:
            room_id = message.room_id
            found = await _after_sync(lambda: self.rooms.puppet_id(room_id), lambda: self.sync_rooms(puppet))
            if found is None:
                raise LookupError(f"no WeChat group matches configured room {room_id!r}")
            return found
        assert message.to_id is not None
        to_id = message.to_id
        found = await _after_sync(lambda: self.book.contact_id_for(to_id), lambda: self.sync_members(puppet))
        if found is None:
            raise LookupError(f"no WeChat contact known for {to_id!r}")
        return found

    async def mention_ids(
        self, puppet: PuppetClient, message: OutgoingMessage, conversation: str
    ) -> list[str]:
        """Contact ids to @ in a group (none in private chats); unknown people are skipped."""
        if not message.mentions or message.room_id is None:
            return []
        ids: list[str] = []
        for wanted in message.mentions:
            contact = self.book.contact_id_for(wanted)
            if contact is None and conversation not in self._members_synced:
                await self.sync_members(puppet, conversation)
                contact = self.book.contact_id_for(wanted)
            if contact is None:
                log.warning(
                    "wechaty: cannot @ %s in %s: not found among the group's members", wanted, conversation
                )
            elif contact not in ids:
                ids.append(contact)
        return ids


async def _after_sync(find: Callable[[], str | None], sync: Callable[[], Awaitable[None]]) -> str | None:
    """``find()``; when it finds nothing, refresh from the puppet once and look again."""
    found = find()
    if found is None:
        await sync()
        found = find()
    return found

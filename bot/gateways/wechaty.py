"""The wechaty gateway: a Wechaty puppet service (gRPC) in, plain messages out.

It turns puppet events into ``IncomingMessage`` and sends ``OutgoingMessage`` through the
puppet. It keeps no state of its own beyond caches: it never touches the database or the
workflow. It reconnects by itself (exponential backoff with jitter) and says so in ``health()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from handlers.clock import TZ
from handlers.messages import GatewayUnavailable, Inbox, IncomingMessage, OutgoingMessage
from handlers.roster import Directory, Member, Room

from .reconnect import Backoff, Sleep, keep_connected
from .splitting import DEFAULT_MAX_BYTES, split_text
from .wechaty_client import PuppetClient, ServicePuppet
from .wechaty_mapping import (
    MODES,
    Mode,
    RoomMap,
    Roster,
    SeenIds,
    is_addressed,
    message_kind,
    strip_bot_mention,
    to_datetime,
    with_mention_prefix,
)

log = logging.getLogger(__name__)

ENV_ENDPOINT = "WECHATY_PUPPET_SERVICE_ENDPOINT"
ENV_TOKEN = "WECHATY_PUPPET_SERVICE_TOKEN"
ENV_TLS = "WECHATY_PUPPET_SERVICE_TLS"  # ours: "true" to use TLS
ENV_TLS_CA_CERT = "WECHATY_PUPPET_SERVICE_TLS_CA_CERT"  # same name as the TypeScript client
ENV_TLS_SERVER_NAME = "WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME"  # same name as the TypeScript client

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class WechatyOptions:
    """How to reach the puppet service and how to behave in groups."""

    endpoint: str  # host:port of the puppet service
    token: str
    tls: bool = False
    mode: Mode = "all"  # "all": every group message; "mentioned": only @bot or commands
    max_bytes: int = DEFAULT_MAX_BYTES  # per sent message, UTF-8
    tls_ca_cert: str | None = None  # PEM text or file; None = system CAs
    tls_server_name: str | None = None  # TLS name to verify, if not the endpoint's host
    send_timeout: float = 15.0  # seconds for one send call
    part_delay: float = 1.5  # seconds (with jitter) between the parts of a split message
    ping_interval: float = 30.0  # seconds between liveness checks (0 = off)
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    name_ttl: float = 600.0  # seconds before a sender's names are looked up again

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"wechaty mode must be one of {MODES}, got {self.mode!r}")
        if not self.endpoint:
            raise ValueError(f"the Wechaty endpoint is required ({ENV_ENDPOINT}=host:port)")
        if not self.token:
            raise ValueError(f"the Wechaty token is required ({ENV_TOKEN})")
        if self.max_bytes < 64:
            raise ValueError("max_bytes must be at least 64")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> WechatyOptions:
        """Options from ``WECHATY_PUPPET_SERVICE_*`` variables; keyword arguments (from the
        config file) fill in what the environment does not set."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = dict(overrides)
        if env.get(ENV_ENDPOINT):
            values["endpoint"] = env[ENV_ENDPOINT].strip()
        if env.get(ENV_TOKEN):
            values["token"] = env[ENV_TOKEN].strip()
        if ENV_TLS in env:
            flag = env[ENV_TLS].strip().lower()
            if flag not in _TRUE | _FALSE:
                raise ValueError(f"{ENV_TLS} must be true or false, got {env[ENV_TLS]!r}")
            values["tls"] = flag in _TRUE
        if env.get(ENV_TLS_CA_CERT):
            values["tls_ca_cert"] = env[ENV_TLS_CA_CERT]
        if env.get(ENV_TLS_SERVER_NAME):
            values["tls_server_name"] = env[ENV_TLS_SERVER_NAME].strip()
        values.setdefault("endpoint", "")
        values.setdefault("token", "")
        return cls(**values)

    def redacted(self) -> WechatyOptions:
        return replace(self, token="***" if self.token else "")


def _default_puppet(options: WechatyOptions) -> PuppetClient:
    return ServicePuppet(
        endpoint=options.endpoint,
        token=options.token,
        tls=options.tls,
        ca_cert=options.tls_ca_cert,
        server_name=options.tls_server_name,
    )


def _never_command(_text: str) -> bool:
    return False


class WechatyGateway:
    """``Gateway`` over a Wechaty puppet service. See ``docs/wechaty.md``."""

    name = "wechaty"

    def __init__(
        self,
        options: WechatyOptions,
        *,
        rooms: Sequence[Room],
        members: Sequence[Member],
        bot_id: str | None = None,
        bot_names: Sequence[str] = (),
        looks_like_command: Callable[[str], bool] = _never_command,
        puppet_factory: Callable[[WechatyOptions], PuppetClient] = _default_puppet,
        now: Callable[[], datetime] | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        on_connected: Callable[[], None] | None = None,
    ) -> None:
        self.options = options
        self._bot_id = bot_id
        self._bot_names = tuple(n for n in bot_names if n)
        self._looks_like_command = looks_like_command
        self._puppet_factory = puppet_factory
        self._now = now or (lambda: datetime.now(TZ))
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rooms = RoomMap(rooms)
        self._roster = Roster(members, bot_id=bot_id)
        self._seen = SeenIds()
        self._name_checked: dict[str, float] = {}  # contact id -> monotonic time of the lookup
        self._members_synced: set[str] = set()
        self._bot_aliases: dict[
            str, tuple[str, ...]
        ] = {}  # puppet room id -> bot's group nickname  # puppet room ids whose members we resolved
        self._partial: dict[tuple[str, str, tuple[str, ...]], int] = {}  # parts already sent
        self._send_lock = asyncio.Lock()

        self._inbox: Inbox | None = None
        self._puppet: PuppetClient | None = None
        self._login_id: str | None = None
        self._login_names: tuple[str, ...] = ()
        self._state = "stopped"
        self._stopping = False
        self._connected = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._stats = {"sessions": 0, "received": 0, "handed_on": 0, "sent": 0, "send_failures": 0}
        self._last_error: str | None = None
        self._connected_since: datetime | None = None
        self._last_event_at: datetime | None = None
        self._next_retry_in: float | None = None
        # Called after every (re)connect, e.g. to wake the outbox sender so replies held while
        # disconnected go out at once.
        self.on_connected = on_connected

    @classmethod
    def from_directory(
        cls,
        options: WechatyOptions,
        directory: Directory,
        *,
        looks_like_command: Callable[[str], bool] = _never_command,
        **kwargs: Any,
    ) -> WechatyGateway:
        return cls(
            options,
            rooms=directory.rooms,
            members=directory.members,
            bot_id=directory.bot_id,
            bot_names=(directory.bot_name, *directory.bot_aliases),
            looks_like_command=looks_like_command,
            **kwargs,
        )

    # --- Gateway protocol -----------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def start(self, inbox: Inbox) -> None:
        """Start connecting in the background and return; messages go to ``inbox``."""
        if self._supervisor is not None:
            raise RuntimeError("the wechaty gateway is already started")
        self._inbox = inbox
        self._stopping = False
        self._state = "connecting"
        backoff = Backoff(
            base=self.options.backoff_base,
            cap=max(self.options.backoff_cap, self.options.backoff_base),
            rng=self._rng,
        )
        log.info(
            "wechaty gateway connecting to %s (tls=%s, mode=%s)",
            self.options.endpoint,
            self.options.tls,
            self.options.mode,
        )
        self._supervisor = asyncio.create_task(
            keep_connected(
                self._session,
                backoff=backoff,
                stopping=lambda: self._stopping,
                sleep=self._sleep,
                on_disconnect=self._on_disconnect,
            ),
            name="wechaty-gateway",
        )

    async def stop(self) -> None:
        self._stopping = True
        task, self._supervisor = self._supervisor, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._connected.clear()
        self._state = "stopped"

    async def wait_connected(self) -> None:
        """Wait until logged in on the puppet service (wrap in ``asyncio.timeout``)."""
        await self._connected.wait()

    def update_roster(
        self, *, rooms: Sequence[Room] | None = None, members: Sequence[Member] | None = None
    ) -> None:
        """Take a changed configuration (rooms, members) without reconnecting."""
        if rooms is not None:
            self._rooms = self._rooms.with_rooms(rooms)
        if members is not None:
            self._roster = Roster(members, bot_id=self._bot_id)
            self._roster.set_login(self._login_id)
            self._name_checked.clear()
            self._members_synced.clear()

    def health(self) -> dict[str, Any]:
        return {
            "gateway": self.name,
            "state": self._state,
            "connected": self.connected,
            "endpoint": self.options.endpoint,
            "tls": self.options.tls,
            "mode": self.options.mode,
            "login_id": self._login_id,
            "connected_since": self._connected_since.isoformat() if self._connected_since else None,
            "last_event_at": self._last_event_at.isoformat() if self._last_event_at else None,
            "last_error": self._last_error,
            "next_retry_in": self._next_retry_in,
            "rooms_matched": self._rooms.matched(),
            "rooms_unmatched": self._rooms.unmatched(),
            "contacts_matched": self._roster.known_contacts(),
            **self._stats,
        }

    async def send(self, message: OutgoingMessage) -> None:
        """Send one message (split on lines when longer than ``max_bytes``).

        Raises ``GatewayUnavailable`` when not connected or when the puppet fails; parts of a
        split message already sent are not sent again when the same message is retried.
        Raises ``LookupError`` for a room or person the puppet does not know (retrying will
        not help until the configuration changes).
        """
        async with self._send_lock:
            puppet = self._puppet
            if puppet is None or not self.connected:
                raise GatewayUnavailable("wechaty gateway is not connected")
            try:
                conversation = await self._conversation_for(puppet, message)
                mention_ids = await self._contact_ids_for(puppet, message, conversation)
            except LookupError:
                raise
            except Exception as exc:
                raise GatewayUnavailable(f"wechaty lookup failed: {exc!r}") from exc
            text = with_mention_prefix(
                message.text,
                [(self._roster.display(cid) or "", self._roster.labels(cid)) for cid in mention_ids],
            )
            parts = split_text(text, self.options.max_bytes)
            key = (conversation, text, tuple(mention_ids))
            start = self._partial.get(key, 0)
            for index in range(start, len(parts)):
                if index > 0:
                    await self._sleep(self.options.part_delay * self._rng.uniform(0.8, 1.5))
                try:
                    await asyncio.wait_for(
                        puppet.message_send_text(
                            conversation, parts[index], mention_ids if index == 0 else []
                        ),
                        self.options.send_timeout,
                    )
                except Exception as exc:
                    self._stats["send_failures"] += 1
                    if index > 0:
                        self._partial[key] = index
                    log.warning(
                        "wechaty send to %s failed (part %d/%d): %r", conversation, index + 1, len(parts), exc
                    )
                    raise GatewayUnavailable(f"wechaty send failed: {exc!r}") from exc
            self._partial.pop(key, None)
            self._stats["sent"] += 1

    # --- one connection -------------------------------------------------------------------
    async def _session(self) -> None:
        """Connect, read events until the stream ends, then clean up (one reconnect cycle)."""
        puppet = self._puppet_factory(self.options)
        events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        for event in (
            "login",
            "logout",
            "ready",
            "message",
            "room-join",
            "room-leave",
            "room-topic",
            "error",
        ):
            puppet.on(event, lambda payload, event=event: events.put_nowait((event, payload)))
        self._stats["sessions"] += 1
        self._state = "connecting"
        stream = asyncio.create_task(puppet.start(), name="wechaty-stream")
        worker = asyncio.create_task(self._consume(puppet, events), name="wechaty-events")
        pinger = asyncio.create_task(self._keepalive(puppet), name="wechaty-ping")
        try:
            done, _ = await asyncio.wait({stream, worker, pinger}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raise what ended the session
            if stream in done:
                log.warning("wechaty event stream ended (another client took over, or the gateway stopped)")
        finally:
            self._mark_disconnected()
            if self._puppet is puppet:
                self._puppet = None
            for task in (stream, worker, pinger):
                task.cancel()
            await asyncio.gather(stream, worker, pinger, return_exceptions=True)
            with contextlib.suppress(Exception):
                await puppet.close()

    async def _keepalive(self, puppet: PuppetClient) -> None:
        """Call Ding every ``ping_interval`` seconds; a failed or hung call ends the session."""
        interval = self.options.ping_interval
        if interval <= 0:
            await asyncio.Event().wait()
        while True:
            await asyncio.sleep(interval)
            if not self.connected:
                continue
            await asyncio.wait_for(puppet.ding("zhuqi"), timeout=min(interval, 20.0))

    async def _consume(self, puppet: PuppetClient, events: asyncio.Queue[tuple[str, Any]]) -> None:
        while True:
            event, payload = await events.get()
            self._last_event_at = self._now()
            try:
                await self._dispatch(puppet, event, payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("wechaty: handling %s failed", event)

    async def _dispatch(self, puppet: PuppetClient, event: str, payload: Any) -> None:
        if event == "login":
            await self._on_login(puppet, payload.contact_id)
        elif event == "logout":
            log.warning("wechaty: the account logged out (%s)", getattr(payload, "data", ""))
            self._mark_disconnected()
            self._state = "logged-out"
        elif event == "message":
            await self._on_message(puppet, payload.message_id)
        elif event == "room-join":
            for contact_id in payload.invited_ids or []:
                self._name_checked.pop(contact_id, None)
                if payload.room_id and self._rooms.configured_id(payload.room_id):
                    await self._resolve_member(puppet, payload.room_id, contact_id)
        elif event == "room-leave":
            for contact_id in payload.removed_ids or []:
                self._name_checked.pop(contact_id, None)
        elif event == "room-topic":
            if payload.room_id:
                before = self._rooms.configured_id(payload.room_id)
                after = self._rooms.learn(payload.room_id, payload.new_topic)
                if before != after:
                    log.info(
                        "wechaty: group %s renamed to %r: now room %s",
                        payload.room_id,
                        payload.new_topic,
                        after,
                    )
        elif event == "error":
            log.warning("wechaty puppet error: %s", getattr(payload, "data", payload))

    async def _on_login(self, puppet: PuppetClient, contact_id: str) -> None:
        self._login_id = contact_id
        self._roster.set_login(contact_id)
        names = list(self._bot_names)
        try:
            me = await puppet.contact_payload(contact_id)
            if me.name:
                names.append(me.name)
        except Exception as exc:
            log.warning("wechaty: cannot read the bot's own name: %r", exc)
        self._login_names = tuple(dict.fromkeys(names))
        await self._sync_rooms(puppet)
        self._puppet = puppet
        self._state = "connected"
        self._connected_since = self._now()
        self._last_error = None
        self._next_retry_in = None
        self._connected.set()
        if self.on_connected is not None:
            try:
                self.on_connected()
            except Exception:
                log.exception("wechaty: on_connected callback failed")
        log.info(
            "wechaty gateway connected as %s; rooms matched %s, unmatched %s",
            contact_id,
            self._rooms.matched(),
            self._rooms.unmatched(),
        )

    async def _sync_rooms(self, puppet: PuppetClient) -> None:
        self._members_synced.clear()
        self._bot_aliases.clear()
        for room_id in await puppet.room_list():
            try:
                topic = (await puppet.room_payload(room_id)).topic
            except Exception as exc:
                log.warning("wechaty: cannot read group %s: %r", room_id, exc)
                continue
            self._rooms.learn(room_id, topic)

    def _mark_disconnected(self) -> None:
        if self._connected.is_set():
            log.warning("wechaty gateway disconnected")
        self._connected.clear()
        self._connected_since = None
        if not self._stopping:
            self._state = "disconnected"

    def _on_disconnect(self, error: BaseException | None, delay: float) -> None:
        self._last_error = repr(error) if error else "stream ended"
        self._next_retry_in = round(delay, 2)
        self._state = "reconnecting"
        log.warning("wechaty: session ended (%s); reconnecting in %.1fs", self._last_error, delay)

    # --- incoming -------------------------------------------------------------------------
    async def _on_message(self, puppet: PuppetClient, message_id: str) -> None:
        self._stats["received"] += 1
        payload = await puppet.message_payload(message_id)
        sender = payload.from_id
        if not sender or sender == self._login_id:
            return  # our own reply coming back
        puppet_room = payload.room_id or None
        room_id: str | None = None
        if puppet_room:
            if not self._rooms.known(puppet_room):
                self._rooms.learn(puppet_room, (await puppet.room_payload(puppet_room)).topic)
            room_id = self._rooms.configured_id(puppet_room)
            if room_id is None:
                return  # a group we are not configured for: stay silent
        elif payload.to_id and self._login_id and payload.to_id != self._login_id:
            return  # a private chat between others (some puppets report those)

        kind = message_kind(payload.type)
        mention_ids = list(payload.mention_ids or [])
        mentioned = bool(self._login_id) and self._login_id in mention_ids
        text = payload.text or ""
        if kind == "text":
            if mentioned or puppet_room is None:
                names = self._login_names
                if puppet_room and mentioned:
                    names = (*names, *await self._bot_alias(puppet, puppet_room))
                text = strip_bot_mention(text, names)
        elif kind == "file":
            text = payload.filename or ""
        else:
            text = ""  # pictures and the like carry XML, not words
        if not is_addressed(
            self.options.mode,
            private=puppet_room is None,
            mentioned=mentioned,
            text=text,
            kind=kind,
            looks_like_command=self._looks_like_command,
        ):
            return
        if not self._seen.add(payload.id or message_id):
            return  # delivered again after a reconnect
        sender_id, sender_name = await self._resolve_member(puppet, puppet_room, sender)
        for contact_id in mention_ids:
            if contact_id != self._login_id:
                await self._resolve_member(puppet, puppet_room, contact_id)
        incoming = IncomingMessage(
            message_id=payload.id or message_id,
            room_id=room_id,
            sender_id=sender_id,
            text=text,
            at=to_datetime(payload.timestamp, self._now()),
            mentions=tuple(dict.fromkeys(self._roster.member_id_for(cid) for cid in mention_ids)),
            sender_name=sender_name,
            kind=kind,
            gateway=self.name,
        )
        if self._inbox is None:
            return
        self._stats["handed_on"] += 1
        await self._inbox(incoming)

    async def _bot_alias(self, puppet: PuppetClient, puppet_room: str) -> tuple[str, ...]:
        """The bot's own nickname in a group (WeChat writes @<that> when someone @s the bot)."""
        if puppet_room not in self._bot_aliases and self._login_id:
            try:
                member = await puppet.room_member_payload(puppet_room, self._login_id)
                alias = member.room_alias or ""
            except Exception as exc:
                log.debug("wechaty: no group nickname for the bot in %s: %r", puppet_room, exc)
                alias = ""
            self._bot_aliases[puppet_room] = (alias,) if alias else ()
        return self._bot_aliases.get(puppet_room, ())

    async def _resolve_member(
        self, puppet: PuppetClient, puppet_room: str | None, contact_id: str
    ) -> tuple[str, str | None]:
        """(roster id or contact id, display name) for a contact, looking names up when stale."""
        direct = self._roster.direct(contact_id)
        checked = self._name_checked.get(contact_id)
        if checked is not None and time.monotonic() - checked < self.options.name_ttl:
            return self._roster.member_id_for(contact_id), self._roster.display(contact_id)
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
        matched = self._roster.match(contact_id, room_alias=alias, name=name)
        self._name_checked[contact_id] = time.monotonic()
        display = alias or name or (matched.name if matched else None)
        return (matched.id if matched else contact_id), display

    # --- outgoing -------------------------------------------------------------------------
    async def _conversation_for(self, puppet: PuppetClient, message: OutgoingMessage) -> str:
        if message.room_id is not None:
            puppet_room = self._rooms.puppet_id(message.room_id)
            if puppet_room is None:
                await self._sync_rooms(puppet)
                puppet_room = self._rooms.puppet_id(message.room_id)
            if puppet_room is None:
                raise LookupError(f"no WeChat group matches configured room {message.room_id!r}")
            return puppet_room
        assert message.to_id is not None
        contact = self._roster.contact_id_for(message.to_id)
        if contact is None:
            await self._sync_members(puppet)
            contact = self._roster.contact_id_for(message.to_id)
        if contact is None:
            raise LookupError(f"no WeChat contact known for {message.to_id!r}")
        return contact

    async def _contact_ids_for(
        self, puppet: PuppetClient, message: OutgoingMessage, conversation: str
    ) -> list[str]:
        if not message.mentions or message.room_id is None:
            return []  # no @ in private chats
        ids: list[str] = []
        for wanted in message.mentions:
            contact = self._roster.contact_id_for(wanted)
            if contact is None and conversation not in self._members_synced:
                await self._sync_members(puppet, conversation)
                contact = self._roster.contact_id_for(wanted)
            if contact is None:
                log.warning(
                    "wechaty: cannot @ %s in %s: not found among the group's members", wanted, conversation
                )
                continue
            if contact not in ids:
                ids.append(contact)
        return ids

    async def _sync_members(self, puppet: PuppetClient, only_room: str | None = None) -> None:
        """Look up the members of one group (or of every matched group) by name."""
        rooms = [only_room] if only_room else list(self._rooms.matched().values())
        for puppet_room in rooms:
            if puppet_room in self._members_synced and only_room is None:
                continue
            self._members_synced.add(puppet_room)
            for contact_id in await puppet.room_members(puppet_room):
                if contact_id != self._login_id:
                    self._name_checked.pop(contact_id, None)
                    await self._resolve_member(puppet, puppet_room, contact_id)

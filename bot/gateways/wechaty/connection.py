"""One connection to the puppet service at a time, kept alive and re-made with backoff.

``Connection`` runs the sessions (connect, read events, ping) and knows the connection's health;
what each event means is the gateway's business (``on_event``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.gateways.wechaty.client import PuppetClient
from bot.gateways.wechaty.options import WechatyOptions
from bot.gateways.wechaty.reconnect import Backoff, Sleep, keep_connected

log = logging.getLogger(__name__)
EVENTS = ("login", "logout", "ready", "message", "room-join", "room-leave", "room-topic", "error")
OnEvent = Callable[[PuppetClient, str, Any], Awaitable[None]]


class Connection:
    def __init__(
        self,
        options: WechatyOptions,
        puppet_factory: Callable[[WechatyOptions], PuppetClient],
        now: Callable[[], datetime],
        sleep: Sleep,
        rng: random.Random,
    ) -> None:
        self.options = options
        self._puppet_factory = puppet_factory
        self._now, self._sleep, self._rng = now, sleep, rng
        self.puppet: PuppetClient | None = None  # set while logged in
        self.state = "stopped"
        self.ready = asyncio.Event()
        self.sessions = 0
        self.connected_since: datetime | None = None
        self.last_event_at: datetime | None = None
        self.last_error: str | None = None
        self.next_retry_in: float | None = None
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None

    def start(self, on_event: OnEvent) -> None:
        if self._supervisor is not None:
            raise RuntimeError("the wechaty gateway is already started")
        self._stopping, self.state = False, "connecting"
        o = self.options
        backoff = Backoff(base=o.backoff_base, cap=max(o.backoff_cap, o.backoff_base), rng=self._rng)
        log.info("wechaty gateway connecting to %s (tls=%s, mode=%s)", o.endpoint, o.tls, o.mode)
        session = keep_connected(
            lambda: self._session(on_event),
            backoff=backoff,
            stopping=lambda: self._stopping,
            sleep=self._sleep,
            on_disconnect=self._on_disconnect,
        )
        self._supervisor = asyncio.create_task(session, name="wechaty-gateway")

    async def stop(self) -> None:
        self._stopping = True
        task, self._supervisor = self._supervisor, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.ready.clear()
        self.state = "stopped"

    def logged_in(self, puppet: PuppetClient) -> None:
        self.puppet, self.state = puppet, "connected"
        self.connected_since, self.last_error, self.next_retry_in = self._now(), None, None
        self.ready.set()

    def logged_out(self) -> None:
        self.mark_disconnected()
        self.state = "logged-out"

    def mark_disconnected(self) -> None:
        if self.ready.is_set():
            log.warning("wechaty gateway disconnected")
        self.ready.clear()
        self.connected_since = None
        if not self._stopping:
            self.state = "disconnected"

    def _on_disconnect(self, error: BaseException | None, delay: float) -> None:
        self.last_error = repr(error) if error else "stream ended"
        self.next_retry_in = round(delay, 2)
        self.state = "reconnecting"
        log.warning("wechaty: session ended (%s); reconnecting in %.1fs", self.last_error, delay)

    async def _session(self, on_event: OnEvent) -> None:
        """Connect, read events until the stream ends, then clean up (one reconnect cycle)."""
        puppet = self._puppet_factory(self.options)
        events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        for event in EVENTS:
            puppet.on(event, lambda payload, event=event: events.put_nowait((event, payload)))
        self.sessions += 1
        self.state = "connecting"
        tasks = (
            asyncio.create_task(puppet.start(), name="wechaty-stream"),
            asyncio.create_task(self._consume(puppet, events, on_event), name="wechaty-events"),
            asyncio.create_task(self._keepalive(puppet), name="wechaty-ping"),
        )
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raise what ended the session
            if tasks[0] in done:
                log.warning("wechaty event stream ended (another client took over, or the gateway stopped)")
        finally:
            await self._close(puppet, tasks)

    async def _close(self, puppet: PuppetClient, tasks: tuple[asyncio.Task[Any], ...]) -> None:
        self.mark_disconnected()
        if self.puppet is puppet:
            self.puppet = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await puppet.close()

    async def _keepalive(self, puppet: PuppetClient) -> None:
        """Call Ding every ``ping_interval`` seconds; a failed or hung call ends the session."""
        interval = self.options.ping_interval
        if interval <= 0:
            await asyncio.Event().wait()
        while True:
            await asyncio.sleep(interval)
            if not self.ready.is_set():
                continue
            await asyncio.wait_for(puppet.ding("zhuqi"), timeout=min(interval, 20.0))

    async def _consume(
        self, puppet: PuppetClient, events: asyncio.Queue[tuple[str, Any]], on_event: OnEvent
    ) -> None:
        while True:
            event, payload = await events.get()
            self.last_event_at = self._now()
            try:
                await on_event(puppet, event, payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("wechaty: handling %s failed", event)

"""The gRPC client for a Wechaty puppet service, as the wechaty gateway uses it.

We reuse ``wechaty_puppet_service.PuppetService`` (PyPI 0.8.10: its event decoding and payload
calls work on Python 3.11/3.12) but replace how it connects:

- the endpoint and token come from our options only (no environment lookups, no internet
  lookup of the endpoint when it is missing, no token in its log lines);
- no blocking telnet "ping" on the event loop;
- TLS is optional (the upstream client only speaks plaintext);
- ``close()`` drops the connection without calling the gateway's ``Stop`` (which would stop
  the puppet, i.e. the WeChat session, for every other client too).
"""

from __future__ import annotations

import logging
import ssl
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from grpclib.client import Channel
from grpclib.config import Configuration

with warnings.catch_warnings():
    # wechaty_puppet_service.utils imports telnetlib, which warns (DeprecationWarning) on
    # Python 3.11/3.12; we never call it. Silenced here only, so pytest's "error" filter holds.
    warnings.filterwarnings("ignore", message="'telnetlib' is deprecated", category=DeprecationWarning)
    from wechaty_puppet import Puppet, PuppetOptions
    from wechaty_puppet_service import PuppetService

from wechaty_grpc.wechaty import PuppetStub

from bot.gateways.wechaty.options import WechatyOptions

try:  # pyee >= 9; the top-level name warns (DeprecationWarning) when used
    from pyee.asyncio import AsyncIOEventEmitter
except ImportError:  # pragma: no cover - pyee 8
    from pyee import AsyncIOEventEmitter

log = logging.getLogger(__name__)

# The upstream client logs through its own stream handler (and would print the token): route it
# through ordinary logging at WARNING instead.
for _name in ("PuppetService", "WechatyPuppetServiceConfig"):
    _upstream = logging.getLogger(_name)
    _upstream.handlers.clear()
    _upstream.propagate = True
    _upstream.setLevel(logging.WARNING)


class PuppetClient(Protocol):
    """The part of ``PuppetService`` the gateway uses (a fake in unit tests)."""

    login_user_id: str | None

    def on(self, event_name: str, caller: Callable[..., None]) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ding(self, data: str | None = "") -> None: ...

    async def message_payload(self, message_id: str) -> Any: ...

    async def message_send_text(
        self, conversation_id: str, message: str, mention_ids: list[str] | None = None
    ) -> str: ...

    async def contact_payload(self, contact_id: str) -> Any: ...

    async def room_list(self) -> list[str]: ...

    async def room_payload(self, room_id: str) -> Any: ...

    async def room_members(self, room_id: str) -> list[str]: ...

    async def room_member_payload(self, room_id: str, contact_id: str) -> Any: ...


def split_endpoint(endpoint: str) -> tuple[str, int]:
    """``host:port`` (an ``http(s)://`` prefix is tolerated) as (host, port)."""
    rest = endpoint.strip()
    for scheme in ("http://", "https://", "grpc://", "grpcs://"):
        if rest.startswith(scheme):
            rest = rest[len(scheme) :]
    rest = rest.rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"a Wechaty endpoint is host:port, got {endpoint!r}")
    return host.strip("[]"), int(port)


def tls_context(ca_cert: str | None) -> ssl.SSLContext:
    """A client TLS context; ``ca_cert`` is PEM text or a path to a PEM file (else system CAs)."""
    context = ssl.create_default_context()
    if ca_cert:
        if "-----BEGIN" in ca_cert:
            context.load_verify_locations(cadata=ca_cert)
        else:
            context.load_verify_locations(cafile=str(Path(ca_cert)))
    context.set_alpn_protocols(["h2"])
    return context


class ServicePuppet(PuppetService):
    """``PuppetService`` with our own connection setup (see the module docstring)."""

    def __init__(
        self,
        *,
        endpoint: str,
        token: str,
        tls: bool = False,
        ca_cert: str | None = None,
        server_name: str | None = None,
    ) -> None:
        # Skip PuppetService.__init__: it reads the environment and logs the token.
        Puppet.__init__(self, PuppetOptions(end_point=endpoint), "puppet_service")
        self.channel: Channel | None = None
        self._puppet_stub: PuppetStub | None = None
        # upstream annotates the old name
        self._event_stream = AsyncIOEventEmitter()  # type: ignore[assignment]
        self.login_user_id: str | None = None
        self._endpoint = endpoint
        self._token = token
        self._tls = tls
        self._ca_cert = ca_cert
        self._server_name = server_name

    def _init_puppet(self) -> None:
        host, port = split_endpoint(self._endpoint)
        config = Configuration(ssl_target_name_override=self._server_name) if self._server_name else None
        self.channel = Channel(
            host=host,
            port=port,
            ssl=tls_context(self._ca_cert) if self._tls else None,
            config=config,
        )
        # The puppet service reads the token from the HTTP/2 :authority, as upstream does.
        self.channel._authority = self._token
        self._puppet_stub = PuppetStub(self.channel)

    async def ding(self, data: str | None = "") -> None:
        await self.puppet_stub.ding(data=data or "")

    async def close(self) -> None:
        """Drop listeners and the connection; the gateway's puppet keeps running."""
        self._event_stream.remove_all_listeners()
        self._puppet_stub = None
        if self.channel is not None:
            self.channel.close()
            self.channel = None


def default_puppet(options: WechatyOptions) -> PuppetClient:
    """The real puppet-service client for these options."""
    return ServicePuppet(
        endpoint=options.endpoint,
        token=options.token,
        tls=options.tls,
        ca_cert=options.tls_ca_cert,
        server_name=options.tls_server_name,
    )

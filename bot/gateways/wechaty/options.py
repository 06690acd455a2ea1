"""How to reach the Wechaty puppet service and how to behave in groups: ``[wechaty]`` plus the
standard ``WECHATY_PUPPET_SERVICE_*`` environment variables (the environment wins)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.gateways.wechaty.mapping import MODES, Mode
from bot.gateways.wechaty.splitting import DEFAULT_MAX_BYTES

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

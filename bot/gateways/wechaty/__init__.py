"""The Wechaty gateway (a puppet service over gRPC): options, connection, who is who, in and out."""

from bot.gateways.wechaty.gateway import WechatyGateway
from bot.gateways.wechaty.options import WechatyOptions

__all__ = ["WechatyGateway", "WechatyOptions"]

"""The explicit command table: verb → handler, with usage and who may use it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.directory import Role
from handlers.parser import ArgSpec, ParsedCommand, Verb

if TYPE_CHECKING:
    from handlers.context import Context

CommandFn = Callable[["Context", ParsedCommand], Awaitable[None]]
ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Command:
    verb: Verb
    fn: CommandFn
    usage: str
    example: str
    roles: frozenset[Role]
    help: str

    @property
    def name(self) -> str:
        return self.verb.aliases[0]


class CommandRegistry:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def register(
        self,
        *aliases: str,
        spec: ArgSpec,
        usage: str,
        example: str,
        roles: frozenset[Role] = ALL_ROLES,
    ) -> Callable[[CommandFn], CommandFn]:
        """Add a command; the function's first docstring line is its help text."""

        def decorate(fn: CommandFn) -> CommandFn:
            key = fn.__name__
            if key in self._commands:
                raise ValueError(f"command {key} registered twice")
            help_line = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
            verb = Verb(key=key, aliases=aliases, spec=spec)
            self._commands[key] = Command(verb, fn, usage, example, roles, help_line)
            return fn

        return decorate

    @property
    def verbs(self) -> list[Verb]:
        return [c.verb for c in self._commands.values()]

    def get(self, key: str) -> Command:
        return self._commands[key]

    def available_to(self, role: Role) -> list[Command]:
        return [c for c in self._commands.values() if role in c.roles]


commands = CommandRegistry()

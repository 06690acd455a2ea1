"""Commands as explicit tables: each command module exposes ``COMMANDS``; ``CommandTable`` joins them.

Nothing registers itself on import. ``handlers.commands.command_table()`` lists the modules, and
the app hands the table to the dispatcher. Who may use a ticket verb comes from the lifecycle's
``handlers.permissions.PERMITTED``; the dispatcher checks roles once for every command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.parser import ArgSpec, ParsedCommand, Verb
from storage.domain import Role

if TYPE_CHECKING:
    from handlers.context import Context

CommandFn = Callable[["Context", ParsedCommand], Awaitable[None]]
ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Command:
    verb: Verb
    fn: CommandFn
    roles: frozenset[Role]
    # For a role that may not use it, the words are ordinary chat (an enterprise writing 「通知收到」
    # or 「是」 is talking, not mistyping a command it may not use), so no refusal is said.
    chat_for_others: bool = False

    @property
    def name(self) -> str:
        return self.verb.name

    @property
    def usage(self) -> str:
        return self.verb.usage

    @property
    def help(self) -> str:
        """The first line of the function's docstring."""
        return (self.fn.__doc__ or "").strip().splitlines()[0] if self.fn.__doc__ else ""


def command(
    fn: CommandFn,
    *aliases: str,
    spec: ArgSpec,
    usage: str,
    example: str,
    roles: Iterable[Role] = ALL_ROLES,
    chat_for_others: bool = False,
) -> Command:
    """One row of a command table; the first alias is the verb people see in help and refusals.
    ``usage`` and ``example`` are what follows the verb (「<编号>」, 「12」), so the verb is spelled once."""
    full_usage, full_example = (f"{aliases[0]} {part}".rstrip() for part in (usage, example))
    return Command(
        Verb(fn.__name__, aliases, spec, full_usage, full_example), fn, frozenset(roles), chat_for_others
    )


class CommandTable:
    """Every command the bot understands, in help order; verbs are unique."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self._commands: dict[str, Command] = {}
        for c in commands:
            if c.verb.key in self._commands:
                raise ValueError(f"command {c.verb.key} listed twice")
            self._commands[c.verb.key] = c
        self.verbs: tuple[Verb, ...] = tuple(c.verb for c in self._commands.values())

    def get(self, key: str) -> Command:
        return self._commands[key]

    def available_to(self, role: Role) -> list[Command]:
        return [c for c in self._commands.values() if role in c.roles]

"""The chat commands, one module per group of verbs; ``command_table()`` is the whole list."""

from __future__ import annotations

from handlers.commands import binding, flow, lead, query
from handlers.router import CommandTable


def command_table() -> CommandTable:
    """Help lists the commands in this order: the workflow first, then leaders', queries, binding."""
    return CommandTable((*flow.COMMANDS, *lead.COMMANDS, *query.COMMANDS, *binding.COMMANDS))

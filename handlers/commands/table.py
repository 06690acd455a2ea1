"""The chat commands, one module per group of verbs; ``command_table()`` is the whole list."""

from __future__ import annotations

from handlers.commands import binding, flow, lead, levels, notices, policies, query
from handlers.router import CommandTable


def command_table() -> CommandTable:
    """Help lists the commands in this order: the workflow, leaders', notices, policies, queries, binding."""
    return CommandTable(
        (
            *flow.COMMANDS,
            *lead.COMMANDS,
            *levels.COMMANDS,
            *notices.COMMANDS,
            *policies.COMMANDS,
            *query.COMMANDS,
            *binding.COMMANDS,
        )
    )

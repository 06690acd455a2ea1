"""The chat commands, one module per group of verbs; ``table.command_table()`` lists them all."""

"""Alembic environment: always run with a connection handed in by storage.db."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy.types import TypeDecorator

from storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.db.migrate(), which passes a connection")


def render_item(kind: str, obj: Any, autogen: Any) -> str | Literal[False]:
    """A model's own column type (``UtcDateTime``, ``Word``) is written as the plain type it stores,
    so a migration never imports the models it was made from (migrations are frozen history)."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()

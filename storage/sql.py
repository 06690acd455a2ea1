"""SQL helpers the repositories share: numbered counters, the dialect's INSERT, insert-once, and a
new object's row for a Core INSERT. Nothing here commits; the unit of work does."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnDefault, Select, Table, bindparam, inspect, select, update
from sqlalchemy import Sequence as DbSequence
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base, Counter


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_row(table: Table, obj: object) -> dict[str, Any]:
    """A new object's columns for a Core INSERT on ``table``: the id left to the database, an unset
    column given its model default. Every row has the same keys (one compiled statement, and the
    rows of an executemany alike)."""
    row: dict[str, Any] = {}
    for column in table.c:
        if column.primary_key:
            continue
        value, default = getattr(obj, column.key), column.default
        if value is None and isinstance(default, ColumnDefault):
            value = default.arg(None) if default.is_callable else default.arg
        row[column.key] = value
    return row


_COUNTERS = Counter.table()
# Built once, in Core: building the statement (and the ORM's bulk-update bookkeeping) cost more
# than running it.
_BUMP_COUNTER = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == bindparam("counter"))
    .values(value=_COUNTERS.c.value + 1)
    .returning(_COUNTERS.c.value)
)


@functools.cache
def _next_in_sequence(counter: str) -> Select[int]:
    return select(DbSequence(f"counter_{counter}").next_value())


async def next_number(session: AsyncSession, counter: str) -> int:
    """The next number of a named counter (tickets, notices); two bot processes never hand out the
    same one. PostgreSQL: a sequence (no lock held to the end of the transaction, so processes do
    not take turns; a rolled-back number is not reused). SQLite: UPDATE … RETURNING on the counter
    row (one writer at a time anyway; no gaps)."""
    if is_postgresql(session):
        return int((await session.execute(_next_in_sequence(counter))).scalar_one())
    result = await session.execute(_BUMP_COUNTER, {"counter": counter})
    return int(result.scalar_one())


def insert_for(session: AsyncSession) -> Any:
    """The dialect's ``insert`` (PostgreSQL's or SQLite's), which has ``on_conflict_do_…``."""
    return pg_insert if is_postgresql(session) else sqlite_insert


async def insert_once(
    session: AsyncSession, model: type[Base], values: dict[str, Any], keys: list[str]
) -> bool:
    """INSERT … ON CONFLICT (``keys``) DO NOTHING: False when the row was there already (stored
    earlier, or by another process a moment ago). The transaction never fails on the conflict."""
    stmt = insert_for(session)(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    result = await session.execute(stmt.returning(*inspect(model).primary_key))
    return result.first() is not None

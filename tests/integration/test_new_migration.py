"""``make migration NAME=…`` (``zhuqi new-migration``): Alembic autogenerate through storage.db."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa

from bot.cli import main
from storage.db import MIGRATIONS, create_engine, migrate, new_migration
from storage.domain import Role
from storage.models import Base, Word


async def test_a_new_column_in_the_models_becomes_the_next_migration(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    column = sa.Column("probe_note", Word(Role), nullable=True)  # a model type: written as its plain one
    Base.metadata.tables["issues"].append_column(column)
    try:
        path = await new_migration("add_probe_note", tmp_path, migrations)
    finally:
        Base.metadata.tables["issues"]._columns.remove(column)
    text = path.read_text()
    latest = max(int(p.name[:4]) for p in (MIGRATIONS / "versions").glob("[0-9]*.py"))
    assert path.name == f"{latest + 1:04d}_add_probe_note.py"
    assert f"down_revision = '{latest:04d}'" in text
    assert (
        "batch_op.add_column(sa.Column('probe_note', sa.String(length=16)" in text
    )  # batch: SQLite alters by copying
    assert "batch_op.drop_column('probe_note')" in text
    assert "storage.models" not in text  # written as plain types: migrations are frozen history
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'after.db'}")
    await migrate(engine, migrations=migrations)  # the written migration applies
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: [col["name"] for col in sa.inspect(c).get_columns("issues")])
    await engine.dispose()
    assert "probe_note" in names


def test_a_name_that_is_not_snake_case_is_refused(capsys: object) -> None:
    assert main(["new-migration", "Add Units!"]) == 2
    assert not any("Add" in p.name for p in (MIGRATIONS / "versions").iterdir())

"""PostgreSQL: ticket and notice numbers come from sequences, not from a row every transaction locks

With two bot processes, ``UPDATE counters … RETURNING`` held the counter row until the end of each
message batch, so the processes took turns instead of working side by side. A sequence hands out
numbers without a lock (a number taken by a transaction that then rolls back is not reused). SQLite
has one writer at a time anyway and keeps the counters table (and gapless numbers).

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

COUNTERS = ("issue_no", "notice_no")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in COUNTERS:
        op.execute(f"CREATE SEQUENCE counter_{name} MINVALUE 1")
        # The next number follows the last one handed out (setval's third argument: "is called").
        op.execute(
            f"SELECT setval('counter_{name}', GREATEST(value, 1), value > 0) FROM counters WHERE name = '{name}'"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in COUNTERS:
        op.execute(
            f"UPDATE counters SET value = (SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
            f" FROM counter_{name}) WHERE name = '{name}'"
        )
        op.execute(f"DROP SEQUENCE counter_{name}")

"""chat_log and inbox get an insert sentinel, so rows staged together are written in one statement

SQLAlchemy writes several new rows of a table in one multi-row INSERT … RETURNING only when it can
match the returned ids to its rows; SQLite's autoincrement ids do not promise that, a client-side
sentinel column does (https://docs.sqlalchemy.org/en/20/core/connections.html#configuring-sentinel-columns).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("chat_log", "inbox")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("_sentinel", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("_sentinel")

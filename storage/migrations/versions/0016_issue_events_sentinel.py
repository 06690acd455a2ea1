"""issue_events gets an insert sentinel, so events flushed together are written in one statement

A 共性问题 group formed or joined writes an event on every member ticket, and a batch of messages
flushes the events of many tickets at once; without a sentinel SQLAlchemy wrote them one INSERT
each (see 0012 for chat_log and inbox).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issue_events") as batch:
        batch.add_column(sa.Column("_sentinel", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issue_events") as batch:
        batch.drop_column("_sentinel")

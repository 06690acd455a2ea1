"""outbox.topic: a waiting reminder is joined by the next one for the same chat, and a waiting
digest replaced by a fresher one, instead of both going out as a flood once the account may send.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=160), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_topic"), ["topic"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_topic"))
        batch_op.drop_column("topic")

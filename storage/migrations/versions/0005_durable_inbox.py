"""The durable inbox (inbox) replaces inbound_messages; chat_log.client_msg_id for idempotent posts

Every received message is stored (inbox) before it is acknowledged, and marked processed in the
transaction of its effect. Ids already handled before this migration are kept as processed rows,
so a redelivery of an old message still does nothing.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("room_id", sa.String(length=128), nullable=True),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("sender_name", sa.String(length=128), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("gateway", "message_id", name="uq_inbox_gateway_message"),
    )
    op.create_index(op.f("ix_inbox_processed_at"), "inbox", ["processed_at"], unique=False)
    op.execute(
        "INSERT INTO inbox (gateway, message_id, room_id, sender_id, sender_name, text, mentions, kind,"
        " at, received_at, processed_at)"
        " SELECT gateway, message_id, NULL, '', NULL, '', '[]', 'text', received_at, received_at, received_at"
        " FROM inbound_messages"
    )
    op.drop_table("inbound_messages")
    with op.batch_alter_table("chat_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_msg_id", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_chat_log_client_msg_id"), ["client_msg_id"])


def downgrade() -> None:
    with op.batch_alter_table("chat_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_chat_log_client_msg_id"), type_="unique")
        batch_op.drop_column("client_msg_id")
    op.create_table(
        "inbound_messages",
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gateway", "message_id", name=op.f("pk_inbound_messages")),
    )
    op.execute(
        "INSERT INTO inbound_messages (gateway, message_id, received_at)"
        " SELECT gateway, message_id, received_at FROM inbox"
    )
    op.drop_index(op.f("ix_inbox_processed_at"), table_name="inbox")
    op.drop_table("inbox")

"""responders: several bot accounts. Which account answers each chat now and by default (home),
the moves between accounts (one down or throttled, or back once well), each account's health as
every process holding it reports it, and which account sent each outbox row (sent_by; older rows:
none recorded).

Revision ID: 0021
Revises: 0020
"""

from alembic import op
import sqlalchemy as sa


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_health",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=96), nullable=False),
        sa.Column("up", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "holder", name=op.f("pk_account_health")),
    )
    op.create_table(
        "responder_moves",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chat", sa.String(length=160), nullable=False),
        sa.Column("from_account", sa.String(length=64), nullable=False),
        sa.Column("to_account", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responder_moves")),
    )
    with op.batch_alter_table("responder_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_responder_moves_at"), ["at"], unique=False)

    op.create_table(
        "responders",
        sa.Column("chat", sa.String(length=160), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("home", sa.String(length=64), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat", name=op.f("pk_responders")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("sent_by")

    op.drop_table("responders")
    with op.batch_alter_table("responder_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responder_moves_at"))

    op.drop_table("responder_moves")
    op.drop_table("account_health")

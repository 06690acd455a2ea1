"""outbox.failed_at (give up on permanent errors) and member_bindings (绑定)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "member_bindings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("member_name", sa.String(length=128), nullable=False),
        sa.Column("enterprise", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_bindings")),
    )
    with op.batch_alter_table("member_bindings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_bindings_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("member_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_bindings_member_id"))
    op.drop_table("member_bindings")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("failed_at")

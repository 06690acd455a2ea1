"""notices and their 回执; policy_records (政策找企业: told, asked, applied); enterprise attributes in
roster_members (行业, 规模, 区县, 标签)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(128), nullable=False),
        sa.Column("poster_id", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("audience", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("no", name="uq_notices_no"),
    )
    op.create_index("ix_notices_status_room", "notices", ["status", "room_id"])
    op.create_table(
        "notice_replies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("notices.id", ondelete="CASCADE", name="fk_notice_replies_notice_id_notices"),
                  nullable=False),
        sa.Column("unit", sa.String(160), nullable=False),
        sa.Column("member_id", sa.String(128), nullable=False),
        sa.Column("member_name", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("notice_id", "unit", name="uq_notice_replies_notice_unit"),
    )
    op.create_table(
        "policy_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("enterprise", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("member_id", sa.String(128), nullable=True),
        sa.Column("room_id", sa.String(128), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("policy_id", "enterprise", "kind", "reason", name="uq_policy_records_once"),
    )
    op.create_index("ix_policy_records_kind_at", "policy_records", ["kind", "at"])
    with op.batch_alter_table("roster_members") as batch:
        batch.add_column(sa.Column("industry", sa.String(64), nullable=True))
        batch.add_column(sa.Column("scale", sa.String(16), nullable=True))
        batch.add_column(sa.Column("district", sa.String(64), nullable=True))
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=True))
    counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"name": "notice_no", "value": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'notice_no'")
    with op.batch_alter_table("roster_members") as batch:
        for column in ("tags", "district", "scale", "industry"):
            batch.drop_column(column)
    op.drop_table("policy_records")
    op.drop_table("notice_replies")
    op.drop_table("notices")

"""notice_replies.report / reported_at: a 回执 in two kinds — 已收到 (the row) and 已报送 (what a
报送 notice collected). A 报送 notice's rows stored so far were written only with content, so their
text is their report.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notice_replies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE notice_replies SET report = text, reported_at = at WHERE notice_id IN "
        "(SELECT id FROM notices WHERE kind = 'report')"
    )


def downgrade() -> None:
    with op.batch_alter_table("notice_replies", schema=None) as batch_op:
        batch_op.drop_column("reported_at")
        batch_op.drop_column("report")

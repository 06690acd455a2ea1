"""issues.common_group: tickets linked as one 共性问题 (the number of the group's first ticket)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("common_group", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_issues_common_group"), ["common_group"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issues_common_group"))
        batch_op.drop_column("common_group")

"""issue_parent: 下派. A child ticket (one per unit below) keeps the number of the ticket it was
dispatched from; the parent shows n/m 办结 and closes when every child is done. Existing tickets
have none.

Revision ID: 0025
Revises: 0024
"""

from alembic import op
import sqlalchemy as sa


revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_no", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_issues_parent_no"), ["parent_no"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issues_parent_no"))
        batch_op.drop_column("parent_no")

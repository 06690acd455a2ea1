"""issue_units: levels. A ticket's unit (the 市, 县区 or 园区 whose department has it now) and its
origin unit (where it was raised, which keeps seeing it after 上报). Existing tickets keep NULL in
both: the top unit, which is all a deployment had before [[units]].

Revision ID: 0022
Revises: 0021
"""

from alembic import op
import sqlalchemy as sa


revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("origin_unit", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_issues_origin_unit"), ["origin_unit"], unique=False)
        batch_op.create_index(batch_op.f("ix_issues_unit"), ["unit"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issues_unit"))
        batch_op.drop_index(batch_op.f("ix_issues_origin_unit"))
        batch_op.drop_column("origin_unit")
        batch_op.drop_column("unit")

"""roster_member_places: a 花名册 row's 单位 and 群 (levels): the member's unit and the configured
groups it is in. Existing imported members: none (as configured, or every group).

Revision ID: 0024
Revises: 0023
"""

from alembic import op
import sqlalchemy as sa


revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roster_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rooms", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("roster_members", schema=None) as batch_op:
        batch_op.drop_column("rooms")
        batch_op.drop_column("unit")

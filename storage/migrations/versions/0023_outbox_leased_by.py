"""outbox_leased_by: which bot process leased an outbox row, so that a process found dead (its
PostgreSQL advisory lock free, storage/liveness.py) has its leases handed back at once instead of
after the lease runs out. Existing rows: none recorded.

Revision ID: 0023
Revises: 0022
"""

from alembic import op
import sqlalchemy as sa


revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leased_by", sa.String(length=96), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("leased_by")

"""report indexes: claimed_at, resolved_at, closed_at

Digests and rankings count tickets claimed / resolved / closed in a window; with a million
tickets each of those needs its own index.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ("claimed_at", "resolved_at", "closed_at")


def upgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.create_index(batch_op.f(f"ix_issues_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_index(batch_op.f(f"ix_issues_{column}"))

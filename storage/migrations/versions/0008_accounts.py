"""accounts: workbench logins of roster members (Argon2 password hashes); ledger index on (status, no)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("member_id", sa.String(128), primary_key=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_issues_department_no", "issues", ["department", "no"])
    op.create_index("ix_issues_enterprise_no", "issues", ["enterprise", "no"])


def downgrade() -> None:
    op.drop_index("ix_issues_enterprise_no", "issues")
    op.drop_index("ix_issues_department_no", "issues")
    op.drop_table("accounts")

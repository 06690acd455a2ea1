"""issue_terms: each appeal's signature, the index 共性问题 finds similar appeals in

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "issue_terms",
        sa.Column("issue_id", BigId, nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_issue_terms_issue_id_issues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("issue_id", "term", name=op.f("pk_issue_terms")),
    )
    op.create_index("ix_issue_terms_term_created_at", "issue_terms", ["term", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_issue_terms_term_created_at", table_name="issue_terms")
    op.drop_table("issue_terms")

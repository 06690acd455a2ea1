"""issue_terms: the term index also carries the ticket id, so 共性问题's lookup reads the index alone

The newest postings of each signature term were found in (term, created_at) and then each fetched
from the table for its ticket id: 600 random reads per appeal once the week holds many tickets.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_issue_terms_term_created_issue", "issue_terms", ["term", "created_at", "issue_id"])
    op.drop_index("ix_issue_terms_term_created_at", table_name="issue_terms")


def downgrade() -> None:
    op.create_index("ix_issue_terms_term_created_at", "issue_terms", ["term", "created_at"])
    op.drop_index("ix_issue_terms_term_created_issue", table_name="issue_terms")

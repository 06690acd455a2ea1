"""issues: a reporter's latest open ticket is found in (reporter_id, updated_at); three single-column
indexes that a composite one begins with are dropped

Every message an enterprise member writes looks for their latest open ticket (is it a follow-up?).
Found by reporter_id alone, then sorted, that read every ticket the member ever filed: 278 of them
after 3,000 bench messages, 0.36 ms of PostgreSQL time for each message and growing with history.
The composite index reads from the newest down and stops at the first open one.

status, department and enterprise each had an index of their own besides the composite ones that
begin with them ((status, created_at), (department, no), (enterprise, no)), which serve the same
look-ups; every new ticket and every status change paid for both.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

REDUNDANT = ("status", "department", "enterprise")


def upgrade() -> None:
    op.create_index("ix_issues_reporter_updated", "issues", ["reporter_id", "updated_at"])
    op.drop_index("ix_issues_reporter_id", table_name="issues")
    for column in REDUNDANT:
        op.drop_index(f"ix_issues_{column}", table_name="issues")


def downgrade() -> None:
    for column in REDUNDANT:
        op.create_index(f"ix_issues_{column}", "issues", [column])
    op.create_index("ix_issues_reporter_id", "issues", ["reporter_id"])
    op.drop_index("ix_issues_reporter_updated", table_name="issues")

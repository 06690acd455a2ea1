"""issues: indexes that answer the message path's two per-message look-ups whatever the planner's
statistics say; three single-column indexes that a composite one begins with are dropped

Every message an enterprise member writes looks for their latest open ticket (is it a follow-up?).
Found by reporter_id alone, then filtered and sorted, that read every ticket the member ever filed
(278 after 3,000 bench messages, 0.36 ms of PostgreSQL time a message, growing with history); on
stale statistics PostgreSQL also ANDed in the status index (50,728 entries, 1.8 ms).
(reporter_id, status, updated_at) holds the whole condition: 0.05 ms.

A 共性问题 group's first numbers (ORDER BY no LIMIT 7) were read by walking the unique index on no
and filtering by group, the whole table for a small or recent group (8.5 ms with 50,000 tickets).
(common_group, no) gives them in order: 0.03 ms.

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

REPLACED = {  # new index: (its columns, the single-column index it replaces)
    "ix_issues_reporter_status_updated": (["reporter_id", "status", "updated_at"], "reporter_id"),
    "ix_issues_group_no": (["common_group", "no"], "common_group"),
}
REDUNDANT = ("status", "department", "enterprise")


def upgrade() -> None:
    for name, (columns, old) in REPLACED.items():
        op.create_index(name, "issues", columns)
        op.drop_index(f"ix_issues_{old}", table_name="issues")
    for column in REDUNDANT:
        op.drop_index(f"ix_issues_{column}", table_name="issues")


def downgrade() -> None:
    for column in REDUNDANT:
        op.create_index(f"ix_issues_{column}", "issues", [column])
    for name, (_, old) in REPLACED.items():
        op.create_index(f"ix_issues_{old}", "issues", [old])
        op.drop_index(name, table_name="issues")

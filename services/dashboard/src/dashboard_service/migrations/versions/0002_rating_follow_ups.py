"""The bad-rating follow-up rate (issue 21): when a medium or bad rating's follow-up falls due
and when the rating was answered.

Revision ID: dashboard_0002
Revises: dashboard_0001

Orders rated before this revision get the columns from a rebuild of the dashboard.
"""

from __future__ import annotations

from alembic import op

revision = "dashboard_0002"
down_revision: str | None = "dashboard_0001"
branch_labels = None
depends_on = None

_UPGRADE = """
ALTER TABLE dashboard_orders ADD COLUMN rating_follow_up_due_at timestamptz;
ALTER TABLE dashboard_orders ADD COLUMN rating_answered_at timestamptz;
COMMENT ON COLUMN dashboard_orders.rating_follow_up_due_at IS
    'order.rating_follow_up_opened: a medium or bad rating.';
COMMENT ON COLUMN dashboard_orders.rating_answered_at IS 'order.rating_answered.';
"""

_DOWNGRADE = """
ALTER TABLE dashboard_orders DROP COLUMN rating_answered_at;
ALTER TABLE dashboard_orders DROP COLUMN rating_follow_up_due_at;
"""


def _run(script: str) -> None:
    # asyncpg prepares each statement: one command per execute.
    for statement in script.split(";"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _run(_UPGRADE)


def downgrade() -> None:
    _run(_DOWNGRADE)

"""The refund-case read model is projected inline (in each appending transaction), so its consumer
group `<prefix>aftersales.read-model` is retired: its positions are forgotten, or `orderctl
status` would show a group falling ever further behind.

Revision ID: aftersales_0002
Revises: aftersales_0001
"""

from __future__ import annotations

from alembic import op

revision = "aftersales_0002"
down_revision: str | None = "aftersales_0001"
branch_labels = None
depends_on = None

# Whatever the environment's group prefix: this database holds only aftersales' groups.
_RETIRED = "%aftersales.read-model"


def upgrade() -> None:
    for table in ("consumer_positions", "consumer_streams"):
        op.execute(f"DELETE FROM eventing.{table} WHERE consumer_group LIKE '{_RETIRED}'")


def downgrade() -> None:
    # The group, if it runs again, starts from the topic's beginning; its projector is
    # idempotent per stream version, so it re-applies nothing twice.
    pass

"""The shipments read model is projected inline (in each appending transaction), so its consumer
group `<prefix>logistics.read-model` is retired: its positions are forgotten, or `orderctl
status` would show a group falling ever further behind.

Revision ID: logistics_0003
Revises: logistics_0002
"""

from __future__ import annotations

from alembic import op

revision = "logistics_0003"
down_revision: str | None = "logistics_0002"
branch_labels = None
depends_on = None

# Whatever the environment's group prefix: this database holds only logistics' groups.
_RETIRED = "%logistics.read-model"


def upgrade() -> None:
    for table in ("consumer_positions", "consumer_streams"):
        op.execute(f"DELETE FROM eventing.{table} WHERE consumer_group LIKE '{_RETIRED}'")


def downgrade() -> None:
    # The group, if it runs again, starts from the topic's beginning; its projector is
    # idempotent per stream version, so it re-applies nothing twice.
    pass

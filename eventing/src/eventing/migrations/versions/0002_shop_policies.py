"""Per-shop policies (time limits and rules each shop may set), one JSON document per shop.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE eventing.shop_policies (
            shop_id text PRIMARY KEY,
            policy jsonb NOT NULL,
            version bigint NOT NULL CHECK (version >= 1),
            updated_at timestamptz NOT NULL,
            updated_by text NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE eventing.shop_policies")

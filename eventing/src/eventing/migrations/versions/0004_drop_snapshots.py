"""Drop the unused snapshots table: a stream is one order's life (tens of events), folded whole.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TABLE IF EXISTS eventing.snapshots")


def downgrade() -> None:
    op.execute(
        """
        CREATE TABLE eventing.snapshots (
            stream_id text PRIMARY KEY,
            stream_version bigint NOT NULL,
            schema_version integer NOT NULL,
            state jsonb NOT NULL,
            taken_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )

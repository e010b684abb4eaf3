"""Complaint figures (issue 21): one `order_complaints` row per complaint filed through an
order, from the aftersales events of the order's timeline.

Revision ID: 0005
Revises: 0004

Read models: complaints filed before this revision get their rows from `orderctl rebuild order`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_complaints",
        sa.Column("complaint_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "escalated_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Taken over by the platform.",
        ),
        sa.Column(
            "ended_at", sa.DateTime(timezone=True), nullable=True, comment="Closed or ruled."
        ),
        sa.Column(
            "responsibility",
            sa.String(length=16),
            nullable=True,
            comment="Found by the shop, then by the platform.",
        ),
        sa.PrimaryKeyConstraint("complaint_id"),
        comment="One row per complaint filed through an order (from its aftersales events), for "
        "the complaint figures.",
    )
    op.create_index("order_complaints_by_filed_at", "order_complaints", ["filed_at", "shop_id"])


def downgrade() -> None:
    op.drop_index("order_complaints_by_filed_at", table_name="order_complaints")
    op.drop_table("order_complaints")

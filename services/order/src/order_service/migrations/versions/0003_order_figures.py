"""The facts the shop figures count, one row per order (`order_figures`).

Revision ID: 0003
Revises: 0002

A read model: orders placed before this revision get their rows from `orderctl rebuild order`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

TIMES = (
    "placed_at",
    "first_paid_at",
    "paid_at",
    "deposit_paid_at",
    "balance_paid_at",
    "cancelled_at",
    "closed_at",
    "rated_at",
)
"""One index per fact's time, then the shop (`order_service.projections.tables.FIGURE_TIMES`)."""


def upgrade() -> None:
    op.create_table(
        "order_figures",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payable", sa.BigInteger(), nullable=False),
        sa.Column("presale", sa.Boolean(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "first_paid_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="order.paid or order.deposit_paid.",
        ),
        sa.Column(
            "paid_amount", sa.BigInteger(), nullable=True, comment="order.paid (full payment)."
        ),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "deposit_amount",
            sa.BigInteger(),
            nullable=True,
            comment="order.deposit_paid (presale).",
        ),
        sa.Column("deposit_paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "balance_amount",
            sa.BigInteger(),
            nullable=True,
            comment="order.balance_paid (presale).",
        ),
        sa.Column("balance_paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column(
            "deposit_forfeited",
            sa.BigInteger(),
            nullable=True,
            comment="Deposit kept when the order closed.",
        ),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("description_score", sa.SmallInteger(), nullable=True),
        sa.Column("service_score", sa.SmallInteger(), nullable=True),
        sa.Column("shipping_speed_score", sa.SmallInteger(), nullable=True),
        sa.Column(
            "version", sa.Integer(), nullable=False, comment="Stream version of the order counted."
        ),
        sa.PrimaryKeyConstraint("order_id"),
        comment="One row per order: when each counted fact happened (business time), for the "
        "shop figures. Duplicate payments are not facts here.",
    )
    for time in TIMES:
        op.create_index(
            f"order_figures_by_{time}", "order_figures", [time, "shop_id"], unique=False
        )


def downgrade() -> None:
    for time in TIMES:
        op.drop_index(f"order_figures_by_{time}", table_name="order_figures")
    op.drop_table("order_figures")

"""Order read models (detail, timeline), SKU stock with its audit, purchases, shop policies.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "buyer_purchases",
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name="buyer_purchases_not_negative"),
        sa.PrimaryKeyConstraint("shop_id", "sku", "buyer_id"),
        comment="Units of a SKU a buyer holds in orders not cancelled or closed (purchase limits).",
    )
    op.create_table(
        "order_timeline",
        sa.Column("entry_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column(
            "source",
            sa.String(length=16),
            nullable=False,
            comment="order, logistics or aftersales.",
        ),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column(
            "sequence", sa.Integer(), nullable=False, comment="Position in the producer's stream."
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("entry_id"),
        sa.UniqueConstraint("event_id"),
        comment="Every event of every service about an order: the cross-service timeline.",
    )
    op.create_index(
        "order_timeline_by_order", "order_timeline", ["order_id", "occurred_at"], unique=False
    )
    op.create_table(
        "order_view",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("platform_status", sa.String(length=32), nullable=False),
        sa.Column("timeout_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payable", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "version", sa.Integer(), nullable=False, comment="Stream version of the order shown."
        ),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The order's facts (receiver is PII).",
        ),
        sa.PrimaryKeyConstraint("order_id"),
        comment="One row per order: its current state, for detail and list queries.",
    )
    op.create_index(
        "order_view_by_buyer", "order_view", ["buyer_id", "created_at", "order_id"], unique=False
    )
    op.create_index("order_view_by_created", "order_view", ["created_at", "order_id"], unique=False)
    op.create_index(
        "order_view_by_shop", "order_view", ["shop_id", "created_at", "order_id"], unique=False
    )
    op.create_index(
        "order_view_by_status",
        "order_view",
        ["platform_status", "created_at", "order_id"],
        unique=False,
    )
    op.create_table(
        "sku_stock",
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("warning_line", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "purchase_limit",
            sa.Integer(),
            nullable=True,
            comment="Units one buyer may buy; null: no limit.",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name="sku_stock_on_hand_not_negative"),
        sa.CheckConstraint("purchase_limit IS NULL OR purchase_limit >= 1", name="sku_stock_limit"),
        sa.CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="sku_stock_reserved_fits"),
        sa.CheckConstraint("warning_line >= 0", name="sku_stock_warning_line_not_negative"),
        sa.PrimaryKeyConstraint("shop_id", "sku"),
        comment="Units per SKU of a shop; available = on_hand - reserved.",
    )
    op.create_table(
        "stock_movements",
        sa.Column("movement_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=16),
            nullable=False,
            comment="set, adjust, reserve, release, ship.",
        ),
        sa.Column("on_hand_change", sa.Integer(), nullable=False),
        sa.Column("reserved_change", sa.Integer(), nullable=False),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("reserved_after", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=256), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("movement_id"),
        comment="Audit of every change to sku_stock.",
    )
    op.create_index("stock_movements_by_sku", "stock_movements", ["shop_id", "sku"], unique=False)


def downgrade() -> None:
    op.drop_table("stock_movements")
    op.drop_table("sku_stock")
    op.drop_table("order_view")
    op.drop_table("order_timeline")
    op.drop_table("buyer_purchases")

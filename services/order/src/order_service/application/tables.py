"""State of the order service that is not an event stream: SKU stock (shop policies live in
`eventing.shop_policies`)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Table,
    text,
)

from order_service.projections.tables import metadata

sku_stock = Table(
    "sku_stock",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False, server_default=text("0")),
    Column("warning_line", Integer, nullable=False, server_default=text("0")),
    Column("purchase_limit", Integer, comment="Units one buyer may buy; null: no limit."),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("on_hand >= 0", name="sku_stock_on_hand_not_negative"),
    CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="sku_stock_reserved_fits"),
    CheckConstraint("warning_line >= 0", name="sku_stock_warning_line_not_negative"),
    CheckConstraint("purchase_limit IS NULL OR purchase_limit >= 1", name="sku_stock_limit"),
    comment="Units per SKU of a shop; available = on_hand - reserved.",
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("movement_id", BigInteger, Identity(), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("kind", String(16), nullable=False, comment="set, adjust, reserve, release, ship."),
    Column("on_hand_change", Integer, nullable=False),
    Column("reserved_change", Integer, nullable=False),
    Column("on_hand_after", Integer, nullable=False),
    Column("reserved_after", Integer, nullable=False),
    Column("order_id", String(64)),
    Column("actor", String(16), nullable=False),
    Column("actor_id", String(128)),
    Column("reason", String(256)),
    Column("at", DateTime(timezone=True), nullable=False),
    comment="Audit of every change to sku_stock.",
)
Index("stock_movements_by_sku", stock_movements.c.shop_id, stock_movements.c.sku)

buyer_purchases = Table(
    "buyer_purchases",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("buyer_id", String(64), primary_key=True),
    Column("quantity", Integer, nullable=False),
    CheckConstraint("quantity >= 0", name="buyer_purchases_not_negative"),
    comment="Units of a SKU a buyer holds in orders not cancelled or closed (purchase limits).",
)

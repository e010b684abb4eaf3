"""The figures read model: one row per order, payment, shipment, refund case and complaint, and
one per shop (its latest event), each fed from the topic of the service that owns the fact.

Each row keeps the stream sequence it shows (`version`, `last_sequence`; a payment its own),
so a redelivered or replayed event changes nothing. Times are business times: when the fact
happened (the event's `time`, or the payment's or parcel's own time where the event has one).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()


def _id() -> Column[int]:
    # Identity, not serial: a rebuild's shadow table must not share the live table's sequence.
    return Column("id", BigInteger, Identity(always=False), primary_key=True)


def _at(name: str, comment: str | None = None) -> Column[object]:
    return Column(name, DateTime(timezone=True), comment=comment)


dashboard_orders = Table(
    "dashboard_orders",
    metadata,
    _id(),
    Column("order_id", String(64), nullable=False, unique=True),
    Column("shop_id", String(64), nullable=False),
    Column("currency", String(3)),
    Column("payable", BigInteger),
    _at("placed_at"),
    _at("first_paid_at", "paid_at of order.paid or order.deposit_paid, whichever came first."),
    _at("fully_paid_at", "paid_at of order.paid or order.balance_paid (shipment became due)."),
    _at("cancelled_at"),
    _at("closed_at"),
    Column("close_reason", String(32)),
    Column("deposit_forfeited", BigInteger, comment="Deposit kept when the order closed."),
    _at("rated_at"),
    Column("description_score", SmallInteger),
    Column("service_score", SmallInteger),
    Column("shipping_speed_score", SmallInteger),
    _at("rating_follow_up_due_at", "order.rating_follow_up_opened: a medium or bad rating."),
    _at("rating_answered_at", "order.rating_answered."),
    Column("version", Integer, nullable=False, comment="Last order-topic sequence applied."),
)

dashboard_payments = Table(
    "dashboard_payments",
    metadata,
    _id(),
    Column("order_id", String(64), nullable=False),
    Column("sequence", Integer, nullable=False, comment="The payment event's stream sequence."),
    Column("shop_id", String(64), nullable=False),
    Column("stage", String(16), nullable=False, comment="full, deposit or balance."),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    _at("paid_at"),
    UniqueConstraint("order_id", "sequence", name="dashboard_payments_event"),
)

dashboard_shipments = Table(
    "dashboard_shipments",
    metadata,
    _id(),
    Column("order_id", String(64), nullable=False, unique=True),
    Column("shop_id", String(64), nullable=False),
    Column("status", String(32)),
    _at("requested_at"),
    _at("ship_by", "Set when the shipment was requested (paid orders only)."),
    _at("shipped_at"),
    _at("cancelled_at"),
    Column("exceptions_raised", Integer, nullable=False, server_default="0"),
    _at("target_missed_at", "When logistics.ship_deadline_missed (target) was published."),
    _at("limit_missed_at", "When logistics.ship_deadline_missed (limit) was published."),
    Column("version", Integer, nullable=False, comment="Last logistics-topic sequence applied."),
)

dashboard_cases = Table(
    "dashboard_cases",
    metadata,
    _id(),
    Column("case_id", String(64), nullable=False, unique=True),
    Column("order_id", String(64), nullable=False),
    Column("shop_id", String(64), nullable=False),
    Column("intercept", Boolean, nullable=False, comment="The cancel-vs-ship recovery case."),
    _at("opened_at"),
    _at("refunded_at"),
    Column("refunded_currency", String(3)),
    Column("refunded_amount", BigInteger),
    _at("timed_out_at", "When the seller first let the case time out."),
    _at("disputed_at", "When the case was first escalated."),
    _at("ruled_at"),
    Column("responsible_party", String(16), comment="Of the latest ruling."),
    Column("last_sequence", Integer, nullable=False, comment="Of the order's aftersales stream."),
)

dashboard_complaints = Table(
    "dashboard_complaints",
    metadata,
    _id(),
    Column("complaint_id", String(64), nullable=False, unique=True),
    Column("order_id", String(64), nullable=False),
    Column("shop_id", String(64), nullable=False),
    _at("filed_at"),
    _at("escalated_at", "When the platform took it over."),
    _at("ended_at", "Closed or ruled."),
    Column("responsibility", String(16), comment="Found by the shop, then by the platform."),
    Column("last_sequence", Integer, nullable=False, comment="Of the order's aftersales stream."),
)

dashboard_shops = Table(
    "dashboard_shops",
    metadata,
    _id(),
    Column("shop_id", String(64), nullable=False, unique=True),
    _at("last_event_at", "The latest business time of any event of the shop."),
    Column("last_event_type", String(64)),
    _at("applied_at", "When the dashboard applied the shop's latest event (wall time)."),
)

FIGURE_TIMES = {
    dashboard_orders: ("placed_at", "first_paid_at", "cancelled_at", "closed_at", "rated_at"),
    dashboard_payments: ("paid_at",),
    dashboard_shipments: ("requested_at", "shipped_at", "cancelled_at"),
    dashboard_cases: ("opened_at", "refunded_at", "ruled_at"),
    dashboard_complaints: ("filed_at",),
}
"""Figures count rows whose time lies in a period: an index per time, then the shop."""
for _table, _times in FIGURE_TIMES.items():
    for _time in _times:
        Index(f"{_table.name}_by_{_time}", _table.c[_time], _table.c.shop_id)
Index("dashboard_shipments_shop", dashboard_shipments.c.shop_id)
Index("dashboard_cases_shop", dashboard_cases.c.shop_id)

READ_MODEL_TABLES = tuple(
    table.name
    for table in (
        dashboard_orders,
        dashboard_payments,
        dashboard_shipments,
        dashboard_cases,
        dashboard_complaints,
        dashboard_shops,
    )
)
APPLIED_TIME_COLUMNS = ("applied_at",)

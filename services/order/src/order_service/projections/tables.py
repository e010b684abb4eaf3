"""Read-model tables of the order service (schema `public`, identity columns, rebuildable).

`metadata` also holds the service's state tables (stock, policies; see
`order_service.application.state_tables`) so one Alembic directory migrates both.
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
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

order_view = Table(
    "order_view",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("buyer_id", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("platform_status", String(32), nullable=False),
    Column("timeout_at", DateTime(timezone=True)),
    Column("currency", String(3), nullable=False),
    Column("payable", BigInteger, nullable=False),
    Column("paid", BigInteger, nullable=False),
    Column("refunded", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, comment="Stream version of the order shown."),
    Column("detail", JSONB, nullable=False, comment="The order's facts (receiver is PII)."),
    comment="One row per order: its current state, for detail and list queries.",
)
Index("order_view_by_buyer", order_view.c.buyer_id, order_view.c.created_at, order_view.c.order_id)
Index("order_view_by_shop", order_view.c.shop_id, order_view.c.created_at, order_view.c.order_id)
Index(
    "order_view_by_status",
    order_view.c.platform_status,
    order_view.c.created_at,
    order_view.c.order_id,
)
Index("order_view_by_created", order_view.c.created_at, order_view.c.order_id)

order_timeline = Table(
    "order_timeline",
    metadata,
    Column("entry_id", BigInteger, Identity(), primary_key=True),
    Column("order_id", String(64), nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("source", String(16), nullable=False, comment="order, logistics or aftersales."),
    Column("event_type", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("sequence", Integer, nullable=False, comment="Position in the producer's stream."),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(16)),
    Column("data", JSONB, nullable=False),
    comment="Every event of every service about an order: the cross-service timeline.",
)
Index("order_timeline_by_order", order_timeline.c.order_id, order_timeline.c.occurred_at)

order_figures = Table(
    "order_figures",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payable", BigInteger, nullable=False),
    Column("presale", Boolean, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("first_paid_at", DateTime(timezone=True), comment="order.paid or order.deposit_paid."),
    Column("paid_amount", BigInteger, comment="order.paid (full payment)."),
    Column("paid_at", DateTime(timezone=True)),
    Column("deposit_amount", BigInteger, comment="order.deposit_paid (presale)."),
    Column("deposit_paid_at", DateTime(timezone=True)),
    Column("balance_amount", BigInteger, comment="order.balance_paid (presale)."),
    Column("balance_paid_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("close_reason", String(32)),
    Column("deposit_forfeited", BigInteger, comment="Deposit kept when the order closed."),
    Column("rated_at", DateTime(timezone=True)),
    Column("description_score", SmallInteger),
    Column("service_score", SmallInteger),
    Column("shipping_speed_score", SmallInteger),
    Column(
        "rating_follow_up_due_at",
        DateTime(timezone=True),
        comment="order.rating_follow_up_opened: a medium or bad rating to answer by then.",
    ),
    Column("rating_answered_at", DateTime(timezone=True), comment="order.rating_answered."),
    Column("version", Integer, nullable=False, comment="Stream version of the order counted."),
    comment="One row per order: when each counted fact happened (business time), for the "
    "shop figures. Duplicate payments are not facts here.",
)
FIGURE_TIMES = (
    "placed_at",
    "first_paid_at",
    "paid_at",
    "deposit_paid_at",
    "balance_paid_at",
    "cancelled_at",
    "closed_at",
    "rated_at",
)
"""Each figure counts rows whose fact's time lies in a period: one index per time, leading with
it so the platform's figures use it too, then the shop for a shop's figures."""
FIGURE_INDEXES = tuple(
    Index(f"order_figures_by_{time}", order_figures.c[time], order_figures.c.shop_id)
    for time in FIGURE_TIMES
)


order_complaints = Table(
    "order_complaints",
    metadata,
    Column("complaint_id", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False),
    Column("shop_id", String(64), nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("escalated_at", DateTime(timezone=True), comment="Taken over by the platform."),
    Column("ended_at", DateTime(timezone=True), comment="Closed or ruled."),
    Column("responsibility", String(16), comment="Found by the shop, then by the platform."),
    comment="One row per complaint filed through an order (from its aftersales events), for "
    "the complaint figures.",
)
Index("order_complaints_by_filed_at", order_complaints.c.filed_at, order_complaints.c.shop_id)


order_rating = Table(
    "order_rating",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("shop_id", String(64), nullable=False),
    Column("buyer_id", String(64), nullable=False),
    Column("rated_at", DateTime(timezone=True), nullable=False),
    Column("description_score", SmallInteger, nullable=False),
    Column("service_score", SmallInteger, nullable=False),
    Column("shipping_speed_score", SmallInteger, nullable=False),
    Column("comment", Text),
    Column("answer_due_by", DateTime(timezone=True), comment="None: no window (older ratings)."),
    Column("append_due_by", DateTime(timezone=True)),
    Column("follow_up_due_at", DateTime(timezone=True), comment="Set for medium or bad ratings."),
    Column("answer", Text),
    Column("answered_at", DateTime(timezone=True)),
    Column("appended_comment", Text),
    Column("appended_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, comment="Stream version of the order shown."),
    comment="One row per rated order: the rating, the seller's answer, the buyer's follow-up "
    "comment, for the shop's rating list.",
)
Index(
    "order_rating_by_shop", order_rating.c.shop_id, order_rating.c.rated_at, order_rating.c.order_id
)

shop_queue = Table(
    "shop_queue",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("kind", String(32), primary_key=True, comment="rating_follow_up, payment_reminded..."),
    Column("shop_id", String(64), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False, comment="Overdue after this."),
    Column("closed_at", DateTime(timezone=True), comment="Answered, paid or ended."),
    Column("detail", JSONB, nullable=False),
    Column("version", Integer, nullable=False, comment="Stream version of the order shown."),
    comment="The shop's customer-care queue: one entry per order and kind of task (a medium or "
    "bad rating to follow up, an unpaid order reminded to pay), open until dealt with.",
)
Index("shop_queue_by_shop", shop_queue.c.shop_id, shop_queue.c.due_at, shop_queue.c.order_id)

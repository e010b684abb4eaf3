"""The refund-case read model's tables (SQLAlchemy Core); `metadata`, shared with the
migrations, also holds the working tables of `application.state_tables`."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

refund_orders = Table(
    "refund_orders",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("shop_id", Text, nullable=False),
    Column("stream_version", Integer, nullable=False),
)

refund_cases = Table(
    "refund_cases",
    metadata,
    Column("case_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("description", Text),
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("refunded_amount", BigInteger),
    Column("items", JSONB, nullable=False),
    Column("goods_status", Text, nullable=False),
    Column("intercept", Boolean, nullable=False),
    Column("answer_due_by", DateTime(timezone=True)),
    Column("return_by", DateTime(timezone=True)),
    Column("confirm_by", DateTime(timezone=True)),
    Column("appeal_by", DateTime(timezone=True)),
    Column("next_deadline_at", DateTime(timezone=True)),
    Column("next_deadline_kind", Text),
    Column("return_address", JSONB),
    Column("return_waybill", JSONB),
    Column("rejection_reason", Text),
    Column("rejection_note", Text),
    Column("automatic_approval", Boolean, nullable=False, server_default=text("false")),
    Column("seller_timed_out", Boolean, nullable=False, server_default=text("false")),
    Column("disputed", Boolean, nullable=False, server_default=text("false")),
    Column("dispute", JSONB),  # opened_by, reason, evidence_due_by, evidence[], ruling
    Column("disputed_at", DateTime(timezone=True)),
    Column("ruling_outcome", Text),
    Column("responsible_party", Text),
    Column("refund_trigger", Text),
    Column("close_reason", Text),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("last_sequence", Integer, nullable=False),  # of the order's stream, for idempotence
)
Index("refund_cases_order", refund_cases.c.order_id, refund_cases.c.opened_at)
Index("refund_cases_shop", refund_cases.c.shop_id, refund_cases.c.opened_at)
Index("refund_cases_status", refund_cases.c.status, refund_cases.c.opened_at)
Index("refund_cases_deadline", refund_cases.c.next_deadline_at)

"""The refund-case and complaint read models' tables (SQLAlchemy Core); `metadata`, shared with the
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

complaints = Table(
    "complaints",
    metadata,
    Column("complaint_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("filed_by", Text, nullable=False),
    Column("about", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("attachments", JSONB, nullable=False),
    Column("status", Text, nullable=False),
    Column("accept_note", Text),
    Column("responsibility", Text),  # the shop's analysis, then the platform's ruling
    Column("finding", Text),
    Column("remedy", JSONB),
    Column("reply", Text),
    Column("satisfied", Boolean),
    Column("follow_up_comment", Text),
    Column("escalation_reason", Text),
    Column("ruling", JSONB),  # outcome, responsibility, note, compensation, ruled_at
    Column("ruling_outcome", Text),
    Column("close_reason", Text),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("accept_due_by", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True)),
    Column("reply_due_by", DateTime(timezone=True)),
    Column("replied_at", DateTime(timezone=True)),
    Column("follow_up_by", DateTime(timezone=True)),
    Column("next_deadline_at", DateTime(timezone=True)),  # the shop's or buyer's, if waiting
    Column("next_deadline_kind", Text),
    Column("escalated_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_sequence", Integer, nullable=False),  # of the order's stream, for idempotence
)
Index("complaints_buyer", complaints.c.buyer_id, complaints.c.filed_at)
Index("complaints_shop_deadline", complaints.c.shop_id, complaints.c.next_deadline_at)
Index("complaints_order", complaints.c.order_id, complaints.c.filed_at)
Index("complaints_escalated", complaints.c.status, complaints.c.escalated_at)

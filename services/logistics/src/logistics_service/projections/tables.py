"""The logistics read models (`shipments`, `shipment_tracking`, `shipment_exceptions`), fed
from the logistics topic and rebuildable; `metadata` also holds the side tables of
`application/state_tables.py` (one schema, one migration history)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()


def _id() -> Column[int]:
    return Column("id", BigInteger, Identity(always=False), primary_key=True)


shipments = Table(
    "shipments",
    metadata,
    _id(),
    Column("order_id", String(64), nullable=False, unique=True),
    Column("shop_id", String(64), nullable=False),
    Column("shipment_id", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("items", JSONB, nullable=False, server_default="[]"),
    Column("receiver", JSONB),
    Column("ship_by", DateTime(timezone=True)),
    Column("ship_limit", DateTime(timezone=True)),
    Column("requested_at", DateTime(timezone=True)),
    Column("carrier", String(16)),
    Column("tracking_number", String(64)),
    Column("shipped_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("signed_by", JSONB, comment="The signer, sealed for the buyer (a Sealed object)."),
    Column("tracking_status", String(32)),
    Column("last_checkpoint_at", DateTime(timezone=True)),
    Column("target_missed", DateTime(timezone=True)),
    Column("limit_missed", DateTime(timezone=True)),
    Column("open_exceptions", Integer, nullable=False, server_default="0"),
    Column("exceptions_raised", Integer, nullable=False, server_default="0"),
    Column("cancel_reason", String(32)),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("shipments_queue", shipments.c.status, shipments.c.ship_by, shipments.c.order_id)
Index("shipments_shop_queue", shipments.c.shop_id, shipments.c.status, shipments.c.ship_by)
Index("shipments_open_exceptions", shipments.c.open_exceptions, shipments.c.updated_at)

shipment_tracking = Table(
    "shipment_tracking",
    metadata,
    _id(),
    Column("order_id", String(64), nullable=False),
    Column("carrier", String(16), nullable=False),
    Column("tracking_number", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("status", String(32), nullable=False),
    Column("location", String(128)),
    Column("description", Text, nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("order_id", "carrier", "tracking_number", "occurred_at", "status"),
)
Index("shipment_tracking_history", shipment_tracking.c.order_id, shipment_tracking.c.occurred_at)

shipment_exceptions = Table(
    "shipment_exceptions",
    metadata,
    _id(),
    Column("order_id", String(64), nullable=False),
    Column("shop_id", String(64), nullable=False),
    Column("exception_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("description", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("resolution", String(32)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("new_waybill", JSONB),
    Column("claim_amount", JSONB),
    Column("note", Text),
    UniqueConstraint("order_id", "exception_id"),
)

READ_MODEL_TABLES = ("shipments", "shipment_tracking", "shipment_exceptions")

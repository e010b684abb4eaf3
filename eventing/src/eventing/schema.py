"""SQLAlchemy Core descriptions of eventing's own tables (created by `eventing.migrations`).

Everything lives in the PostgreSQL schema `eventing`, so a service's read-model tables in
`public` can never collide with it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

SCHEMA = "eventing"
metadata = MetaData(schema=SCHEMA)

# Global order of the store: positions are allocated under a transaction-scoped advisory lock,
# so position order is commit order (see docs/architecture.md, "The commit-order gap").
events = Table(
    "events",
    metadata,
    Column("position", BigInteger, Identity(always=True), primary_key=True),
    Column("stream_id", Text, nullable=False),
    Column("stream_version", BigInteger, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("event_type", Text, nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("topic", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("metadata", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("stream_id", "stream_version", name="events_stream_version_key"),
)

streams = Table(
    "streams",
    metadata,
    Column("stream_id", Text, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

relay_checkpoints = Table(
    "relay_checkpoints",
    metadata,
    Column("relay", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

consumer_positions = Table(
    "consumer_positions",
    metadata,
    Column("consumer_group", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("consumer_group", "topic", "partition"),
)

consumer_streams = Table(
    "consumer_streams",
    metadata,
    Column("consumer_group", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("stream_id", Text, nullable=False),
    Column("last_sequence", BigInteger, nullable=False),
    PrimaryKeyConstraint("consumer_group", "topic", "stream_id"),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("kind", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("scheduled_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("kind", "key"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", JSONB, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("scope", "key"),
)

clock_offset = Table(
    "clock_offset",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_microseconds", BigInteger, nullable=False),
)

shop_policies = Table(
    "shop_policies",
    metadata,
    Column("shop_id", Text, primary_key=True),
    Column("policy", JSONB, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
)

# Append-only: the database refuses UPDATE, DELETE and TRUNCATE (migration 0005).
personal_data_access = Table(
    "personal_data_access",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("caller_subject", Text, nullable=False),
    Column("caller_role", Text, nullable=False),
    Column("caller_shop_id", Text),
    Column("data_subject", Text),
    Column("order_id", Text, nullable=False),
    Column("fields", ARRAY(Text), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("correlation_id", Text, nullable=False),
    Column("service", Text, nullable=False),
)

"""Event store, relay checkpoints, consumer positions, deadlines, idempotency keys, clock.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

_UPGRADE = """
CREATE TABLE eventing.streams (
    stream_id text PRIMARY KEY,
    version bigint NOT NULL CHECK (version >= 0)
);
CREATE TABLE eventing.events (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id text NOT NULL,
    stream_version bigint NOT NULL CHECK (stream_version >= 1),
    event_id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    schema_version integer NOT NULL,
    topic text NOT NULL,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);
CREATE TABLE eventing.snapshots (
    stream_id text PRIMARY KEY,
    stream_version bigint NOT NULL,
    schema_version integer NOT NULL,
    state jsonb NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE eventing.relay_checkpoints (
    relay text PRIMARY KEY,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE eventing.consumer_positions (
    consumer_group text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);
CREATE TABLE eventing.consumer_streams (
    consumer_group text NOT NULL,
    topic text NOT NULL,
    stream_id text NOT NULL,
    last_sequence bigint NOT NULL,
    PRIMARY KEY (consumer_group, topic, stream_id)
);
CREATE TABLE eventing.deadlines (
    kind text NOT NULL,
    key text NOT NULL,
    due_at timestamptz NOT NULL,
    payload jsonb NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    scheduled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, key)
);
CREATE INDEX deadlines_due_at_idx ON eventing.deadlines (due_at);
CREATE TABLE eventing.idempotency_keys (
    scope text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    body jsonb NOT NULL,
    headers jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_at_idx ON eventing.idempotency_keys (expires_at);
CREATE TABLE eventing.clock_offset (
    id integer PRIMARY KEY CHECK (id = 1),
    offset_microseconds bigint NOT NULL
);
"""

_DOWNGRADE = """
DROP TABLE eventing.clock_offset, eventing.idempotency_keys, eventing.deadlines,
    eventing.consumer_streams, eventing.consumer_positions, eventing.relay_checkpoints,
    eventing.snapshots, eventing.events, eventing.streams;
"""


def upgrade() -> None:
    for statement in _UPGRADE.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    op.execute(_DOWNGRADE)

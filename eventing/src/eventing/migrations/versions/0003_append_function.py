"""`eventing.append_events`: a whole append (claim, position lock, insert) in one statement.

The position lock (see docs/architecture.md, "The commit-order gap") is held from the insert
until commit. Done as three client round trips, the lock holder spent most of its critical
section waiting for the client; as one function call, only server time and the commit remain
inside it. The lock is still taken *before* the stream's row is claimed, so a transaction
appending to several streams can never deadlock with another appender (nobody holds a stream
row while waiting for the lock).

`p_expected`: -1 = any version, 0 = the stream must not exist, n > 0 = exactly n. A failed
expectation raises SQLSTATE EV001 with the stream's actual version as DETAIL.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

# eventing.store.POSITION_LOCK_KEY ("events"); a migration keeps its own copy of the value.
_POSITION_LOCK_KEY = 111559182283891

_UPGRADE = f"""
CREATE FUNCTION eventing.append_events(
    p_stream_id text,
    p_expected bigint,
    p_event_ids uuid[],
    p_event_types text[],
    p_schema_versions integer[],
    p_topics text[],
    p_data jsonb[],
    p_metadata jsonb[],
    p_occurred_at timestamptz[]
) RETURNS TABLE (stream_version bigint, "position" bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_count integer := coalesce(cardinality(p_event_ids), 0);
    v_last bigint;
    v_actual bigint;
BEGIN
    IF v_count = 0 THEN
        RAISE EXCEPTION 'append needs at least one event' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_advisory_xact_lock({_POSITION_LOCK_KEY}), pg_notify('eventing_events', '');
    IF p_expected = -1 THEN
        INSERT INTO eventing.streams AS s (stream_id, version) VALUES (p_stream_id, v_count)
        ON CONFLICT (stream_id) DO UPDATE SET version = s.version + v_count
        RETURNING s.version INTO v_last;
    ELSIF p_expected = 0 THEN
        INSERT INTO eventing.streams AS s (stream_id, version) VALUES (p_stream_id, v_count)
        ON CONFLICT (stream_id) DO NOTHING
        RETURNING s.version INTO v_last;
    ELSIF p_expected > 0 THEN
        UPDATE eventing.streams AS s SET version = s.version + v_count
        WHERE s.stream_id = p_stream_id AND s.version = p_expected
        RETURNING s.version INTO v_last;
    ELSE
        RAISE EXCEPTION 'expected version must be -1 (any), 0 (no stream) or > 0, got %',
            p_expected USING ERRCODE = '22023';
    END IF;
    IF v_last IS NULL THEN
        SELECT s.version INTO v_actual FROM eventing.streams AS s
        WHERE s.stream_id = p_stream_id;
        RAISE EXCEPTION 'stream % is at version %, expected %',
            p_stream_id, coalesce(v_actual, 0), p_expected
            USING ERRCODE = 'EV001', DETAIL = coalesce(v_actual, 0)::text;
    END IF;
    RETURN QUERY
    INSERT INTO eventing.events AS e (
        stream_id, stream_version, event_id, event_type, schema_version, topic, data,
        metadata, occurred_at
    )
    SELECT p_stream_id, v_last - v_count + u.ordinal, u.event_id, u.event_type,
           u.schema_version, u.topic, u.data, u.metadata, u.occurred_at
    FROM unnest(p_event_ids, p_event_types, p_schema_versions, p_topics, p_data, p_metadata,
                p_occurred_at)
         WITH ORDINALITY AS u(event_id, event_type, schema_version, topic, data, metadata,
                              occurred_at, ordinal)
    ORDER BY u.ordinal
    RETURNING e.stream_version, e.position;
END
$$
"""

_DOWNGRADE = """
DROP FUNCTION eventing.append_events(
    text, bigint, uuid[], text[], integer[], text[], jsonb[], jsonb[], timestamptz[]
)
"""


def upgrade() -> None:
    op.execute(_UPGRADE)


def downgrade() -> None:
    op.execute(_DOWNGRADE)

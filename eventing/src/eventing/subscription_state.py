"""Where a subscription group stands, kept in PostgreSQL: positions and per-stream sequences."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing import metrics
from eventing.database import RawStatement
from eventing.schema import consumer_positions

log = structlog.get_logger(__name__)


# A subscription runs these for every partition batch: on the asyncpg connection beneath
# SQLAlchemy's (`RawStatement`, prepared once per connection), as the store's hot statements.
# Through SQLAlchemy Core they cost ~100 µs more each, and the expanding IN of the sequences
# was rendered anew for every number of streams.
_ENSURE_POSITION = RawStatement(
    "INSERT INTO eventing.consumer_positions"
    " (consumer_group, topic, partition, next_offset, updated_at)"
    " VALUES ($1, $2, $3, 0, now()) ON CONFLICT DO NOTHING"
)
_LOCK_POSITION = RawStatement(
    "SELECT next_offset FROM eventing.consumer_positions"
    " WHERE consumer_group = $1 AND topic = $2 AND partition = $3 FOR UPDATE"
)
_SAVE_POSITION = RawStatement(
    "UPDATE eventing.consumer_positions SET next_offset = $4, updated_at = now()"
    " WHERE consumer_group = $1 AND topic = $2 AND partition = $3"
)
# One statement whatever the number of streams (a multi-row VALUES would be a new statement
# for every batch size).
_SAVE_SEQUENCES = RawStatement(
    "INSERT INTO eventing.consumer_streams (consumer_group, topic, stream_id, last_sequence)"
    " SELECT $1, $2, stream_id, last_sequence"
    " FROM unnest($3::text[], $4::bigint[]) AS saved(stream_id, last_sequence)"
    " ON CONFLICT (consumer_group, topic, stream_id)"
    " DO UPDATE SET last_sequence = excluded.last_sequence"
)
_SEQUENCES = RawStatement(
    "SELECT stream_id, last_sequence FROM eventing.consumer_streams"
    " WHERE consumer_group = $1 AND topic = $2 AND stream_id = ANY($3::text[])"
)


class PartitionState:
    """Reads and writes one group's positions; remembers the last committed ones."""

    def __init__(self, engine: AsyncEngine, group: str) -> None:
        self._engine = engine
        self.group = group
        self.positions: dict[TopicPartition, int] = {}

    async def lock_position(self, connection: AsyncConnection, tp: TopicPartition) -> int:
        """The partition's next offset to apply, row-locked until the transaction ends.

        The lock serialises two members that briefly both hold the partition during a
        rebalance; the second then sees the first's position and skips what it applied. A
        partition whose row this member has read or written is locked in one statement; the
        row is created first only when it is missing (a new group, or a position reset).
        """
        key = (self.group, tp.topic, tp.partition)
        row = await _LOCK_POSITION.fetchrow(connection, *key) if tp in self.positions else None
        if row is None:
            await _ENSURE_POSITION.execute(connection, *key)
            row = await _LOCK_POSITION.fetchrow(connection, *key)
        offset = row["next_offset"] if row is not None else 0
        # What is committed now, which another member may have moved on while both held the
        # partition in a rebalance: a batch of records it applied already saves nothing, and
        # the lag must count from here, not from the position read at assignment.
        self.positions[tp] = int(offset)
        return int(offset)

    async def load_sequences(
        self, connection: AsyncConnection, topic: str, streams: Iterable[str]
    ) -> dict[str, int]:
        """The last applied sequence of each stream (absent = nothing applied yet)."""
        wanted = list(streams)
        if not wanted:
            return {}
        rows = await _SEQUENCES.fetch(connection, self.group, topic, wanted)
        return {row["stream_id"]: row["last_sequence"] for row in rows}

    async def save(
        self,
        connection: AsyncConnection,
        tp: TopicPartition,
        next_offset: int,
        sequences: Mapping[str, int],
    ) -> None:
        """Record the batch as applied (in the batch's transaction)."""
        await _SAVE_POSITION.execute(connection, self.group, tp.topic, tp.partition, next_offset)
        if sequences:
            await _SAVE_SEQUENCES.execute(
                connection, self.group, tp.topic, list(sequences), list(sequences.values())
            )
        self.positions[tp] = next_offset

    async def read_positions(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """The stored next offsets of `partitions` (absent = never applied anything)."""
        wanted = [(tp.topic, tp.partition) for tp in partitions]
        if not wanted:
            return {}
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(
                    consumer_positions.c.topic,
                    consumer_positions.c.partition,
                    consumer_positions.c.next_offset,
                ).where(
                    consumer_positions.c.consumer_group == self.group,
                    tuple_(consumer_positions.c.topic, consumer_positions.c.partition).in_(wanted),
                )
            )
            return {TopicPartition(r.topic, r.partition): r.next_offset for r in rows}


class PositionRebalanceListener(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, continue each partition from the position stored in PostgreSQL.

    aiokafka sends no heartbeat from the JoinGroup until this listener returns, so the whole
    listener counts against the session timeout: it reads the positions in one query and only
    seeks (no broker round trip). A partition with no stored position starts at offset 0; if
    retention removed that, the fetch is out of range and the consumer's `earliest` reset
    moves it to the first record kept. (Awaiting `seek_to_beginning` per partition cost a
    fetch round each, about 0.5 s: 13-20 s for the 24-36 partitions of a fresh group, longer
    than the session, so the member was removed and rejoined in a loop: issue 23.)
    """

    def __init__(self, consumer: AIOKafkaConsumer, state: PartitionState) -> None:
        self._consumer = consumer
        self._state = state

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            self._state.positions.pop(tp, None)
            # Another replica owns it now and reports its lag: a gauge left here would repeat
            # the last lag this one saw for ever (`max by partition` of the group's members).
            metrics.SUBSCRIPTION_LAG.remove(self._state.group, tp.topic, tp.partition)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        started = time.monotonic()
        stored = await self._state.read_positions(assigned)
        for tp in assigned:
            offset = stored.get(tp)
            self._consumer.seek(tp, 0 if offset is None else offset)
            if offset is not None:
                self._state.positions[tp] = offset
        log.info(
            "subscription.assigned",
            group=self._state.group,
            partitions=len(assigned),
            seconds=round(time.monotonic() - started, 3),
        )

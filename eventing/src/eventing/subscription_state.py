"""Where a subscription group stands, kept in PostgreSQL: positions and per-stream sequences."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from sqlalchemy import bindparam, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing import metrics
from eventing.schema import consumer_positions, consumer_streams

log = structlog.get_logger(__name__)


# Built once: a subscription runs these for every partition batch.
_PARTITION_ROW = (
    consumer_positions.c.consumer_group == bindparam("p_group"),
    consumer_positions.c.topic == bindparam("p_topic"),
    consumer_positions.c.partition == bindparam("p_partition"),
)
_ENSURE_POSITION = (
    insert(consumer_positions)
    .values(consumer_group=bindparam("p_group"), topic=bindparam("p_topic"),
            partition=bindparam("p_partition"), next_offset=0, updated_at=text("now()"))
    .on_conflict_do_nothing()
)  # fmt: skip
_LOCK_POSITION = select(consumer_positions.c.next_offset).where(*_PARTITION_ROW).with_for_update()
_SAVE_POSITION = (
    consumer_positions.update()
    .where(*_PARTITION_ROW)
    .values(next_offset=bindparam("p_offset"), updated_at=text("now()"))
)
# One statement whatever the number of streams: a multi-row VALUES would be compiled anew for
# every batch size (that compilation was a tenth of a catch-up's CPU).
_SAVE_SEQUENCES = text(
    "INSERT INTO eventing.consumer_streams (consumer_group, topic, stream_id, last_sequence)"
    " SELECT :p_group, :p_topic, stream_id, last_sequence"
    " FROM unnest(CAST(:p_streams AS text[]), CAST(:p_sequences AS bigint[]))"
    " AS saved(stream_id, last_sequence)"
    " ON CONFLICT (consumer_group, topic, stream_id)"
    " DO UPDATE SET last_sequence = excluded.last_sequence"
)
_SEQUENCES = select(consumer_streams.c.stream_id, consumer_streams.c.last_sequence).where(
    consumer_streams.c.consumer_group == bindparam("p_group"),
    consumer_streams.c.topic == bindparam("p_topic"),
    consumer_streams.c.stream_id.in_(bindparam("p_streams", expanding=True)),
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
        params = {"p_group": self.group, "p_topic": tp.topic, "p_partition": tp.partition}
        offset = None
        if tp in self.positions:
            offset = await connection.scalar(_LOCK_POSITION, params)
        if offset is None:
            await connection.execute(_ENSURE_POSITION, params)
            offset = await connection.scalar(_LOCK_POSITION, params) or 0
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
        rows = await connection.execute(
            _SEQUENCES, {"p_group": self.group, "p_topic": topic, "p_streams": wanted}
        )
        return {row.stream_id: row.last_sequence for row in rows}

    async def save(
        self,
        connection: AsyncConnection,
        tp: TopicPartition,
        next_offset: int,
        sequences: Mapping[str, int],
    ) -> None:
        """Record the batch as applied (in the batch's transaction)."""
        await connection.execute(
            _SAVE_POSITION,
            {"p_group": self.group, "p_topic": tp.topic, "p_partition": tp.partition,
             "p_offset": next_offset},
        )  # fmt: skip
        if sequences:
            await connection.execute(
                _SAVE_SEQUENCES,
                {"p_group": self.group, "p_topic": tp.topic, "p_streams": list(sequences),
                 "p_sequences": list(sequences.values())},
            )  # fmt: skip
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

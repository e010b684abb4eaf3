"""Subscription lag: each group's positions (kept in its service database) against topic ends."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from aiokafka import TopicPartition
from sqlalchemy import select

from eventing.schema import consumer_positions
from orderctl.connections import kafka_admin, kafka_consumer, service_engine
from orderctl.kafka_offsets import existing_topics, offset_range, partitions_of
from orderctl.settings import OrderctlSettings, Owner


@dataclass(frozen=True, slots=True)
class PartitionLag:
    partition: int
    position: int | None  # None: the group has applied nothing from this partition
    end: int
    lag: int


@dataclass(frozen=True, slots=True)
class TopicLag:
    """One subscription group on one topic, summed over the partitions."""

    service: Owner
    group: str
    topic: str
    partitions: tuple[PartitionLag, ...] = field(default=())
    topic_missing: bool = False

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def partitions_behind(self) -> int:
        return sum(1 for p in self.partitions if p.lag > 0)


async def _stored_positions(
    settings: OrderctlSettings, service: Owner
) -> dict[tuple[str, str], dict[int, int]]:
    async with service_engine(settings, service) as engine, engine.connect() as connection:
        rows = await connection.execute(
            select(
                consumer_positions.c.consumer_group,
                consumer_positions.c.topic,
                consumer_positions.c.partition,
                consumer_positions.c.next_offset,
            )
        )
        positions: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
        for row in rows:
            positions[(row.consumer_group, row.topic)][row.partition] = row.next_offset
    return positions


async def subscription_lag(settings: OrderctlSettings, service: Owner) -> list[TopicLag]:
    """Every group with positions in the service's database, per topic, sorted by name."""
    stored = await _stored_positions(settings, service)
    if not stored:
        return []
    async with kafka_admin(settings) as admin, kafka_consumer(settings) as consumer:
        present = await existing_topics(admin)
        topics = sorted({topic for _, topic in stored if topic in present})
        partitions = await partitions_of(admin, topics) if topics else []
        beginnings, ends = await offset_range(consumer, partitions)
    by_topic: dict[str, list[TopicPartition]] = defaultdict(list)
    for tp in partitions:
        by_topic[tp.topic].append(tp)
    result: list[TopicLag] = []
    for (group, topic), positions in sorted(stored.items()):
        if topic not in present:
            result.append(TopicLag(service, group, topic, topic_missing=True))
            continue
        lags = []
        for tp in by_topic[topic]:
            position = positions.get(tp.partition)
            start = position if position is not None else beginnings[tp]
            lags.append(PartitionLag(tp.partition, position, ends[tp], max(ends[tp] - start, 0)))
        result.append(TopicLag(service, group, topic, tuple(lags)))
    return result

"""Partitions and offsets of topics, read without a consumer group."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from orderctl.errors import BadInput


async def existing_topics(admin: AIOKafkaAdminClient) -> set[str]:
    return set(await admin.list_topics())


async def partitions_of(admin: AIOKafkaAdminClient, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of `topics`; `BadInput` naming the topics the broker does not have."""
    present = await existing_topics(admin)
    missing = [topic for topic in topics if topic not in present]
    if missing:
        raise BadInput(f"unknown topic {', '.join(missing)} (not on the broker)")
    described = await admin.describe_topics(list(topics))
    found = {d["topic"]: sorted(p["partition"] for p in d["partitions"]) for d in described}
    return [TopicPartition(topic, p) for topic in topics for p in found.get(topic, [])]


async def offset_range(
    consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """(beginning, end) offsets of each partition."""
    if not partitions:
        return {}, {}
    # Assigned partitions' metadata comes in one request; unassigned ones one by one (slow).
    consumer.assign(list(partitions))
    beginnings: dict[TopicPartition, int] = await consumer.beginning_offsets(list(partitions))
    ends: dict[TopicPartition, int] = await consumer.end_offsets(list(partitions))
    return beginnings, ends

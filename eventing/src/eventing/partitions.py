"""Partition discovery through the admin API (a consumer's metadata may not know a new topic)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


class UnknownTopic(LookupError):
    """The broker reports no partitions for a topic."""


async def topic_partitions(bootstrap: str, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of `topics`, in topic then partition order."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    found = {d["topic"]: sorted(p["partition"] for p in d["partitions"]) for d in described}
    missing = [topic for topic in topics if not found.get(topic)]
    if missing:
        raise UnknownTopic(f"no partitions for {', '.join(missing)}")
    return [TopicPartition(topic, p) for topic in topics for p in found[topic]]

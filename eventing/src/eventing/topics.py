"""Creates the Kafka topics of the topic catalog (auto-creation is off on every broker we run)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError

from contracts.topics import TopicSpec


class TopicLayoutMismatch(RuntimeError):
    """An existing topic has fewer partitions than the catalog asks for."""


async def connect_admin(bootstrap: str, timeout: float = 60.0) -> AIOKafkaAdminClient:
    """An admin client on a broker that may still be starting; retries until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        try:
            await admin.start()
            await admin.list_topics()
            return admin
        except (KafkaConnectionError, KafkaError, OSError):
            await admin.close()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def ensure_topics(
    bootstrap: str, specs: Iterable[TopicSpec], replication_factor: int = 1
) -> list[str]:
    """Create the catalog's topics that are missing; returns the names it created.

    Partition counts are part of the key-to-partition mapping, so an existing topic with a
    different count is reported, never silently changed.
    """
    admin = await connect_admin(bootstrap)
    try:
        existing = set(await admin.list_topics())
        wanted = list(specs)
        missing = [spec for spec in wanted if spec.name not in existing]
        if missing:
            # Another process may create a topic between our listing and our create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(
                            name=spec.name,
                            num_partitions=spec.partitions,
                            replication_factor=replication_factor,
                            topic_configs=spec.config,
                        )
                        for spec in missing
                    ]
                )
        present = [spec for spec in wanted if spec.name in existing]
        if present:
            described = await admin.describe_topics([spec.name for spec in present])
            counts = {d["topic"]: len(d["partitions"]) for d in described}
            for spec in present:
                if counts.get(spec.name, spec.partitions) != spec.partitions:
                    raise TopicLayoutMismatch(
                        f"topic {spec.name} has {counts[spec.name]} partitions, "
                        f"the catalog says {spec.partitions}"
                    )
        return [spec.name for spec in missing]
    finally:
        await admin.close()

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


def replication_for(brokers: int) -> tuple[int, int]:
    """Replication factor and `min.insync.replicas` of the catalog's topics on `brokers`
    brokers: three copies where there are three, and acks=all writes refused unless two hold
    them, so one broker may fail without losing an acknowledged record or stopping writes."""
    return min(3, brokers), 2 if brokers >= 3 else 1


async def replicated_topics(
    admin: AIOKafkaAdminClient, names: Iterable[str], partitions: int
) -> list[NewTopic]:
    """Topics outside the catalog (dead letters, tests' own) replicated as the catalog's are on
    the brokers the cluster has now (`replication_for`): one broker, one copy, as before."""
    brokers = len((await admin.describe_cluster())["brokers"])
    replication_factor, min_insync_replicas = replication_for(brokers)
    config = {"min.insync.replicas": str(min_insync_replicas)}
    return [NewTopic(name, partitions, replication_factor, topic_configs=config) for name in names]


async def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec], brokers: int = 1) -> list[str]:
    """Create the catalog's topics that are missing, replicated as `replication_for(brokers)`
    says; returns the names it created.

    Partition counts are part of the key-to-partition mapping, so an existing topic with a
    different count is reported, never silently changed.
    """
    replication_factor, min_insync_replicas = replication_for(brokers)
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
                            topic_configs={
                                **spec.config,
                                "min.insync.replicas": str(min_insync_replicas),
                            },
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

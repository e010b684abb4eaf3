"""A local three-broker KRaft cluster (`ORDERS_KAFKA_BROKERS=3`) survives losing a leader.

The cluster runs in a temporary infra home on the ports after the session's brokers
(`ORDERS_KAFKA_PORT` + 2 on), so it never meets the session's single broker. How long the
start and the failover took is recorded, never asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from contracts.topics import ORDER_TOPIC
from eventing.testing.waiting import eventually
from eventing.topics import connect_admin, ensure_topics
from localinfra.config import InfraSettings
from localinfra.kafka_cluster import LocalKafka
from localinfra.testing import TEST_DEFAULTS

pytestmark = [pytest.mark.integration, pytest.mark.fault]

KEYS = [f"order-{n}" for n in range(24)]
RECORDS_PER_PHASE = 240  # ten per key before the crash and ten after


def _cluster_settings(home: Path) -> InfraSettings:
    """Three nodes on the ports following those of the session's own brokers."""
    session = InfraSettings(
        **{k: v for k, v in TEST_DEFAULTS.items() if f"ORDERS_{k.upper()}" not in os.environ}
    )
    step = 2 * session.kafka_broker_count
    return InfraSettings(
        infra_home=home,
        kafka_port=session.kafka_port + step,
        kafka_controller_port=session.kafka_controller_port + step,
        kafka_brokers=3,
    )


@pytest.fixture
async def cluster(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> AsyncIterator[LocalKafka]:
    kafka = LocalKafka(_cluster_settings(tmp_path / "cluster"))
    started = time.perf_counter()
    try:
        await asyncio.to_thread(kafka.start)
        seconds = time.perf_counter() - started
        record_property("three_brokers_start_seconds", round(seconds, 2))
        print(f"\nthree brokers up and registered in {seconds:.2f}s")
        yield kafka
    finally:
        await asyncio.to_thread(kafka.stop)


async def _partitions(admin: AIOKafkaAdminClient, topic: str) -> list[dict[str, Any]]:
    described = await admin.describe_topics([topic])
    return sorted(described[0]["partitions"], key=lambda p: p["partition"])


def _all_in_sync(partitions: list[dict[str, Any]]) -> bool:
    return bool(partitions) and all(sorted(p["isr"]) == [1, 2, 3] for p in partitions)


async def _produce(producer: AIOKafkaProducer, phase: int) -> None:
    """Ten records per key, each value `key:sequence`; all sent before any is awaited, so
    several batches are in flight when a leader goes."""
    first = phase * RECORDS_PER_PHASE // len(KEYS)
    sends = [
        await producer.send(ORDER_TOPIC.name, f"{key}:{n}".encode(), key=key.encode())
        for n in range(first, first + RECORDS_PER_PHASE // len(KEYS))
        for key in KEYS
    ]
    await asyncio.gather(*sends)


class GroupMember:
    """A consumer in a group, committing after each batch. A record delivered again after a
    rebalance has the same offset and counts once, as a subscription's stored position does."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            ORDER_TOPIC.name,
            bootstrap_servers=bootstrap,
            group_id=f"three-brokers-{uuid.uuid4().hex[:8]}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self.seen: dict[tuple[int, int], str] = {}

    async def poll(self) -> int:
        batches = await self.consumer.getmany(timeout_ms=500)
        for partition, records in batches.items():
            for record in records:
                assert record.value is not None
                self.seen[(partition.partition, record.offset)] = record.value.decode()
        if batches:
            # The coordinator may move with the killed broker: the next batch commits.
            with contextlib.suppress(KafkaError):
                await self.consumer.commit()
        return len(self.seen)

    def values_per_key(self) -> dict[str, list[int]]:
        """Each key's sequence numbers in log order (offset order within its partition)."""
        ordered: dict[str, list[int]] = {}
        for _, value in sorted(self.seen.items()):
            key, sequence = value.split(":")
            ordered.setdefault(key, []).append(int(sequence))
        return ordered


async def test_three_brokers_keep_every_record_once_in_order_when_a_leader_is_killed(
    cluster: LocalKafka, record_property: Callable[[str, object], None]
) -> None:
    bootstrap = cluster.settings.kafka_bootstrap
    assert bootstrap.count(",") == 2, bootstrap
    assert await ensure_topics(bootstrap, [ORDER_TOPIC], cluster.brokers) == [ORDER_TOPIC.name]
    admin = await connect_admin(bootstrap)
    try:
        partitions = await _partitions(admin, ORDER_TOPIC.name)
        assert len(partitions) == ORDER_TOPIC.partitions
        assert all(len(p["replicas"]) == 3 for p in partitions), partitions
        assert _all_in_sync(partitions), partitions
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, ORDER_TOPIC.name)]
        )
        entries = {entry[0]: entry[1] for entry in configs[0].resources[0][4]}
        assert entries["min.insync.replicas"] == "2"

        # The relay's producer settings (eventing.relay.KafkaPublisher): idempotent, acks=all.
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            request_timeout_ms=10_000,
        )
        member = GroupMember(bootstrap)
        await producer.start()
        await member.consumer.start()
        try:
            await _produce(producer, 0)
            leaders = Counter(p["leader"] for p in partitions)
            victim = int(leaders.most_common(1)[0][0])
            await asyncio.to_thread(cluster.kill, broker=victim)
            killed = time.perf_counter()

            await _produce(producer, 1)
            record_property("produced_after_kill_seconds", round(time.perf_counter() - killed, 2))
            total = 2 * RECORDS_PER_PHASE
            await eventually(
                member.poll,
                lambda count: count >= total,
                timeout=120,
                interval=0,
                message=f"the group consumed all {total} records after broker {victim} died",
            )
            per_key = RECORDS_PER_PHASE * 2 // len(KEYS)
            assert len(member.seen) == total  # the log holds no duplicate of any record
            assert member.values_per_key() == {key: list(range(per_key)) for key in KEYS}

            await asyncio.to_thread(cluster.start, broker=victim)
            assert cluster.status(victim).running
            back = await eventually(
                lambda: _partitions(admin, ORDER_TOPIC.name),
                _all_in_sync,
                timeout=120,
                interval=0.5,
                message=f"every partition's ISR back to 3 after broker {victim} restarted",
            )
        finally:
            # Stopped once the broker is back: aiokafka's `Fetcher.close` awaits the fetch tasks
            # it cancels, and one cancelled in its retry backoff after a fetch from the killed
            # broker lets its CancelledError out of `stop()` (seen in CI), leaving the consumer
            # half closed.
            await member.consumer.stop()
            await producer.stop()
        isr_back = time.perf_counter() - killed
        record_property("isr_back_seconds", round(isr_back, 2))
        print(f"\nbroker {victim} killed; ISR of every partition back to 3 in {isr_back:.2f}s")
        assert all(len(p["replicas"]) == 3 for p in back)
        offsets = await _partitions(admin, "__consumer_offsets")
        assert offsets
        assert all(len(p["replicas"]) == 3 for p in offsets)
    finally:
        await admin.close()

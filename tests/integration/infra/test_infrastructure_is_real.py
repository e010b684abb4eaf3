"""Smoke tests proving the infrastructure under the suite is a real broker and a real server."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from localinfra.pytest_plugin import DatabaseFactory, TopicFactory
from localinfra.testing import FaultInjector, InfraEndpoints

pytestmark = pytest.mark.integration


async def _produce(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=[("ce_id", key)])
    finally:
        await producer.stop()


async def _consume_one(bootstrap: str, topic: str) -> tuple[bytes | None, bytes | None]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"smoke-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await consumer.getone()
        return record.key, record.value
    finally:
        await consumer.stop()


async def test_a_message_produced_with_aiokafka_is_consumed_back(
    infra: InfraEndpoints, topic_factory: TopicFactory
) -> None:
    topic = await topic_factory(partitions=1)
    await _produce(infra.kafka_bootstrap, topic, b"order-1", b'{"hello": "kafka"}')
    assert await _consume_one(infra.kafka_bootstrap, topic) == (b"order-1", b'{"hello": "kafka"}')


async def test_a_row_round_trips_through_asyncpg(database_factory: DatabaseFactory) -> None:
    connection = await asyncpg.connect(await database_factory())
    try:
        server_version = await connection.fetchval("SHOW server_version_num")
        await connection.execute("CREATE TABLE greeting (id uuid PRIMARY KEY, body jsonb)")
        row_id = uuid.uuid4()
        await connection.execute("INSERT INTO greeting VALUES ($1, $2)", row_id, '{"a": 1}')
        assert (
            await connection.fetchval("SELECT body->>'a' FROM greeting WHERE id=$1", row_id) == "1"
        )
    finally:
        await connection.close()
    assert int(server_version) >= 180000


async def test_the_topics_of_the_catalog_exist_with_their_partition_counts(
    infra: InfraEndpoints,
) -> None:
    from contracts.topics import TOPICS
    from eventing.topics import connect_admin

    admin = await connect_admin(infra.kafka_bootstrap)
    try:
        described = await admin.describe_topics([topic.name for topic in TOPICS])
    finally:
        await admin.close()
    counts = {d["topic"]: len(d["partitions"]) for d in described}
    assert counts == {topic.name: topic.partitions for topic in TOPICS}


@pytest.mark.fault
async def test_a_produce_succeeds_after_the_broker_is_stopped_and_restarted(
    infra: InfraEndpoints, topic_factory: TopicFactory, fault_injector: FaultInjector
) -> None:
    topic = await topic_factory(partitions=1)
    await fault_injector.stop_kafka()
    with pytest.raises(KafkaConnectionError):
        await _produce(infra.kafka_bootstrap, topic, b"k", b"lost?")
    await fault_injector.start_kafka()
    await _produce(infra.kafka_bootstrap, topic, b"order-2", b"after restart")
    assert await _consume_one(infra.kafka_bootstrap, topic) == (b"order-2", b"after restart")


@pytest.mark.fault
async def test_a_broker_killed_with_sigkill_comes_back_with_its_data(
    infra: InfraEndpoints, topic_factory: TopicFactory, fault_injector: FaultInjector
) -> None:
    topic = await topic_factory(partitions=1)
    await _produce(infra.kafka_bootstrap, topic, b"order-3", b"before crash")
    await fault_injector.kill_kafka()
    await fault_injector.start_kafka()
    assert await _consume_one(infra.kafka_bootstrap, topic) == (b"order-3", b"before crash")


@pytest.mark.fault
async def test_postgres_keeps_committed_rows_across_a_restart(
    database_factory: DatabaseFactory, fault_injector: FaultInjector
) -> None:
    dsn = await database_factory()
    connection = await asyncpg.connect(dsn)
    await connection.execute("CREATE TABLE kept AS SELECT 42 AS answer")
    await connection.close()
    await fault_injector.stop_postgres()
    with pytest.raises(OSError, match=r"Connect call failed|connection refused"):
        await asyncpg.connect(dsn)
    await fault_injector.start_postgres()
    connection = await asyncpg.connect(dsn)
    try:
        assert await connection.fetchval("SELECT answer FROM kept") == 42
    finally:
        await connection.close()

"""`localinfra up` after the broker was SIGKILLed: the broker comes back with its data.

How long it took is recorded (`broker_back_seconds`, and each step of `up`), never asserted:
the machine's load decides much of it; docs/operations.md says what bounds it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.parties import SERVICES
from localinfra.config import CLOCK_DATABASE
from localinfra.pytest_plugin import TopicFactory
from localinfra.stack import LocalStack
from localinfra.testing import FaultInjector, InfraEndpoints

pytestmark = [pytest.mark.integration, pytest.mark.fault]


async def _produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"order-1")
    finally:
        await producer.stop()


async def _everything_on(bootstrap: str, topic: str, count: int) -> list[bytes | None]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"comeback-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        return [(await consumer.getone()).value for _ in range(count)]
    finally:
        await consumer.stop()


async def test_localinfra_up_brings_a_killed_broker_back_with_its_data(
    infra: InfraEndpoints,
    topic_factory: TopicFactory,
    fault_injector: FaultInjector,
    record_property: Callable[[str, object], None],
) -> None:
    assert infra.settings is not None  # the local backend (others skip in `fault_injector`)
    topic = await topic_factory(partitions=1)
    await _produce(infra.kafka_bootstrap, topic, b"before the crash")
    await fault_injector.kill_kafka()

    started = time.perf_counter()
    # What `localinfra up` runs, on the session's home and ports.
    report = await asyncio.to_thread(LocalStack(infra.settings).up, (*SERVICES, CLOCK_DATABASE))
    back = time.perf_counter() - started

    record_property("broker_back_seconds", round(back, 2))
    for step, seconds in report.seconds.items():
        record_property(f"up_{step}_seconds", round(seconds, 2))
    steps = ", ".join(f"{step} {seconds:.2f}s" for step, seconds in report.seconds.items())
    print(f"\nlocalinfra up after SIGKILL: broker back in {back:.2f}s ({steps})")
    assert report.started == ["kafka"]
    assert report.already_running == ["postgres"]
    await _produce(infra.kafka_bootstrap, topic, b"after the restart")
    assert await _everything_on(infra.kafka_bootstrap, topic, 2) == [
        b"before the crash",
        b"after the restart",
    ]

"""A fresh group on many empty partitions stays a member of its group (issue 23).

The assignment listener runs while aiokafka sends no heartbeats. It used to await a
`seek_to_beginning` per partition without a stored position, one fetch round each (about 0.5 s
on empty partitions: 18 s for 36), so a fresh group of 36 partitions outlived its 10 s session,
was removed on heartbeat expiration and rejoined, again and again. The broker's log tells.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventing.encoding import ConsumedEvent
from eventing.subscriptions import Subscription, SubscriptionOptions
from eventing.testing.kafka import publish_records, synthetic_record
from eventing.testing.waiting import eventually
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration

TopicFactory = Callable[..., Awaitable[str]]


def _group_lines(infra: InfraEndpoints, group: str) -> list[str]:
    assert infra.settings is not None
    return [
        line
        for path in sorted(infra.settings.logs_dir.glob("kafka.log*"))
        for line in path.read_text(errors="replace").splitlines()
        if f"group {group} " in line
    ]


async def test_a_fresh_group_on_36_empty_partitions_is_never_removed_from_its_group(
    engine: AsyncEngine, infra: InfraEndpoints, topic_factory: TopicFactory
) -> None:
    if infra.settings is None:
        pytest.skip("reads the local broker's log, which only a local infrastructure has")
    topics = tuple([await topic_factory(12) for _ in range(3)])
    applied: list[ConsumedEvent] = []

    async def handler(event: ConsumedEvent, _: AsyncConnection) -> None:
        applied.append(event)

    options = SubscriptionOptions(group=f"members-{uuid.uuid4().hex[:8]}", topics=topics)
    subscription = Subscription(engine, infra.kafka_bootstrap, options, handler)
    polled = asyncio.Event()
    subscription.heartbeat.listen(polled.set)
    running = asyncio.create_task(subscription.run())
    try:
        await asyncio.wait_for(polled.wait(), timeout=120)
        # Longer than a session: a member that missed its heartbeats is removed by then.
        await asyncio.sleep(options.session_timeout_ms / 1000 + 5)
        record = synthetic_record(topics[0], "order-1", 1, {"n": 1})
        await publish_records(infra.kafka_bootstrap, [record])
        await eventually(lambda: _now(len(applied)), lambda n: n == 1, message="applied")
    finally:
        subscription.stop()
        await running
    lines = _group_lines(infra, options.group)
    assert [line for line in lines if "on heartbeat expiration" in line] == []
    stabilized = [line for line in lines if "Stabilized group" in line]
    assert len(stabilized) == 1
    assert "generation 1 " in stabilized[0]


async def _now(value: int) -> int:
    return value

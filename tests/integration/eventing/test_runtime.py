"""A service runtime wired from settings relays its events and runs its subscriptions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.events.order import OrderRated
from contracts.parties import Service
from eventing.clock import DatabaseClock, SystemClock
from eventing.encoding import ConsumedEvent
from eventing.events import EventMetadata
from eventing.runtime import ServiceRuntime
from eventing.settings import ServiceSettings
from eventing.testing import eventually
from localinfra.testing import InfraEndpoints

pytestmark = pytest.mark.integration


def rated(order_id: str) -> OrderRated:
    return OrderRated(
        order_id=order_id,
        shop_id="shop-1",
        description_score=5,
        service_score=4,
        shipping_speed_score=3,
    )


async def test_events_appended_by_the_runtime_reach_its_subscribers(
    migrated_database: str, infra: InfraEndpoints, topic_factory: Callable[..., Awaitable[str]]
) -> None:
    settings = ServiceSettings(
        database_url=migrated_database,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        topic_order=await topic_factory(),
        consumer_group_prefix="runtime-test.",
        clock="database",
    )
    runtime = ServiceRuntime(Service.ORDER, settings)
    seen: list[ConsumedEvent] = []

    async def remember(event: ConsumedEvent, _: AsyncConnection) -> None:
        seen.append(event)

    subscription = runtime.subscribe("echo", [Service.ORDER], remember)
    app = runtime.app(title="order", description="runtime test")
    assert isinstance(runtime.clock, DatabaseClock)
    assert subscription.options.group == "runtime-test.order.echo"
    async with app.router.lifespan_context(app):
        event = runtime.codec.encode(rated("o-1"), EventMetadata(actor="buyer"))
        await runtime.store.append("o-1", [event], 0)

        async def count() -> int:
            return len(seen)

        await eventually(count, lambda n: n == 1, timeout=60)
    envelope = runtime.codec.envelope(seen[0])
    assert envelope.data == rated("o-1")
    assert envelope.source == "/orderflow/order"


def test_the_system_clock_is_the_default(migrated_database: str) -> None:
    runtime = ServiceRuntime(Service.LOGISTICS, ServiceSettings(database_url=migrated_database))
    assert isinstance(runtime.clock, SystemClock)
    assert runtime.store.topic == "orders.logistics.v1"

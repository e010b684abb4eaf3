"""The order service in-process on the real PostgreSQL and Kafka, with a fresh database, fresh
topics and its own consumer groups per test; driven through `order_service.testing`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from eventing.database import create_engine
from localinfra.testing import InfraEndpoints
from order_service.main import create_app
from order_service.settings import OrderSettings
from order_service.testing import OrderTestbed

TopicFactory = Callable[..., Awaitable[str]]
MigratedDatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture
async def service(
    infra: InfraEndpoints,
    migrated_database_factory: MigratedDatabaseFactory,
    topic_factory: TopicFactory,
) -> AsyncIterator[OrderTestbed]:
    url = await migrated_database_factory("order")
    topics = [await topic_factory() for _ in range(3)]
    settings = OrderSettings(
        database_url=url,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        clock="database",
        consumer_group_prefix=f"test-{uuid.uuid4().hex[:8]}.",
        topic_order=topics[0],
        topic_logistics=topics[1],
        topic_aftersales=topics[2],
        deadline_poll_interval=0.1,
    )
    app = create_app(settings)
    engine = create_engine(url)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://order") as client:
                yield OrderTestbed(
                    client,
                    engine,
                    infra.kafka_bootstrap,
                    order_topic=topics[0],
                    logistics_topic=topics[1],
                    aftersales_topic=topics[2],
                )
    finally:
        await engine.dispose()

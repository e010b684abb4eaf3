"""The logistics service in-process on the real PostgreSQL and Kafka, fresh database and topics
per test, with its relay, order policy, read model and deadline worker running."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from pydantic import SecretStr

from eventing.database import create_engine
from localinfra.testing import InfraEndpoints
from logistics_service.main import create_app
from logistics_service.settings import LogisticsSettings
from logistics_service.testing import Logistics

SECRET = "logistics-integration-tests-secret-key"


@pytest.fixture
async def logistics(
    migrated_database_factory: Callable[[str], Awaitable[str]],
    topic_factory: Callable[..., Awaitable[str]],
    infra: InfraEndpoints,
) -> AsyncIterator[Logistics]:
    url = await migrated_database_factory("logistics")
    settings = LogisticsSettings(
        database_url=url,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        topic_order=await topic_factory(),
        topic_logistics=await topic_factory(),
        topic_aftersales=await topic_factory(),
        consumer_group_prefix=f"t{uuid.uuid4().hex[:8]}.",
        clock="database",
        auth_secret=SecretStr(SECRET),
    )
    app = create_app(settings)
    engine = create_engine(url, pool_size=4)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://logistics") as http:
                yield Logistics(http, engine, settings)
    finally:
        await engine.dispose()

"""Fixtures: the aftersales service on a new database and new topics (see aftersales_harness)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from aftersales_service.settings import AftersalesSettings
from eventing.migrate import upgrade_service_async
from localinfra.testing import InfraEndpoints
from tests.integration.aftersales.aftersales_harness import (
    Aftersales,
    DatabaseFactory,
    TopicFactory,
    running,
)


@pytest.fixture
async def aftersales_settings(
    infra: InfraEndpoints, database_factory: DatabaseFactory, topic_factory: TopicFactory
) -> AftersalesSettings:
    """Settings of a service on a new migrated database, new topics, the database clock."""
    url = await database_factory()
    await upgrade_service_async(url, "aftersales")
    topics = [await topic_factory() for _ in range(3)]
    return AftersalesSettings(
        database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, clock="database",
        topic_order=topics[0], topic_logistics=topics[1], topic_aftersales=topics[2],
        consumer_group_prefix=f"t{uuid.uuid4().hex[:8]}.",
    )  # fmt: skip


@pytest.fixture
async def aftersales(aftersales_settings: AftersalesSettings) -> AsyncIterator[Aftersales]:
    async with running(aftersales_settings) as service:
        yield service

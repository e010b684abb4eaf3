"""Fixtures: the aftersales service on a new database and new topics (see aftersales_harness)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from aftersales_service.settings import AftersalesSettings
from localinfra.testing import InfraEndpoints
from tests.integration.aftersales.aftersales_harness import (
    Aftersales,
    TopicFactory,
    running,
)


@pytest.fixture
async def aftersales_settings(
    infra: InfraEndpoints,
    migrated_database_factory: Callable[[str], Awaitable[str]],
    topic_factory: TopicFactory,
) -> AftersalesSettings:
    """Settings of a service on a new migrated database, new topics, the database clock."""
    url = await migrated_database_factory("aftersales")
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

"""pytest fixtures for services on the real infrastructure: a migrated database and its engine.

They build on localinfra's `database_factory`, `migrated_database_factory` and `topic_factory`
(registered for the whole suite in tests/conftest.py with this module). `service_settings`
makes the settings a service under test runs with (see `eventing.testing.service`);
`service_logging` sets up the redacting logging a service process runs with.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.parties import Service
from eventing.database import create_engine
from eventing.service import AnyManifest
from eventing.settings import ServiceSettings
from eventing.testing import personal_data

MigratedDatabaseFactory = Callable[[str], Awaitable[str]]
SettingsFactory = Callable[..., Awaitable[ServiceSettings]]
"""`service_settings`: `await make(manifest, **overrides)`."""


@pytest.fixture
async def migrated_database(migrated_database_factory: MigratedDatabaseFactory) -> str:
    """The DSN of a brand-new database with eventing's tables at the latest revision (a copy
    of a template migrated once per session)."""
    return await migrated_database_factory("eventing")


@pytest.fixture
async def eventing_engine(migrated_database: str) -> AsyncIterator[AsyncEngine]:
    """An async engine on `migrated_database`, disposed after the test."""
    engine = create_engine(migrated_database, pool_size=20, max_overflow=20)
    yield engine
    await engine.dispose()


@pytest.fixture
async def service_settings(
    infra: Any,
    migrated_database_factory: MigratedDatabaseFactory,
    topic_factory: Callable[..., Awaitable[str]],
) -> SettingsFactory:
    """`await service_settings(manifest, **overrides)`: the settings of one service under test
    on a new migrated database, new order/logistics/aftersales topics, consumer groups of its
    own and the database clock (movable with `RunningService.advance`)."""

    async def make(manifest: AnyManifest, **overrides: Any) -> ServiceSettings:
        url = await migrated_database_factory(manifest.service.value)
        topics = {f"topic_{service.value}": await topic_factory() for service in Service}
        values: dict[str, Any] = {
            "database_url": url,
            "kafka_bootstrap_servers": infra.kafka_bootstrap,
            "clock": "database",
            "consumer_group_prefix": f"t{uuid.uuid4().hex[:8]}.",
            "deadline_poll_interval": 0.1,
            **topics,
            **overrides,
        }
        settings: ServiceSettings = manifest.settings(**values)
        return settings

    return make


@pytest.fixture
def service_logging() -> Iterator[None]:
    """The logging a service process runs with (redacting), undone after the test."""
    with personal_data.service_logging():
        yield

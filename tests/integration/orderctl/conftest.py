"""Fixtures for orderctl's tests on the real infrastructure (the kit is `orderctl.testing`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from typer.testing import Result

from contracts.parties import SERVICES, Service
from eventing.database import create_engine
from eventing.migrate import upgrade_async
from localinfra.testing import InfraEndpoints
from orderctl.catalog import Catalog
from orderctl.testing import Invoke, Platform, run_cli

DatabaseFactory = Callable[[], Awaitable[str]]
TopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def platform(
    database_factory: DatabaseFactory, topic_factory: TopicFactory, infra: InfraEndpoints
) -> AsyncIterator[Platform]:
    """Three migrated service databases and three fresh topics."""
    urls: dict[Service, str] = {}
    topics: dict[Service, str] = {}
    for service in SERVICES:
        urls[service] = await database_factory()
        await upgrade_async(urls[service])
        topics[service] = await topic_factory(3)
    found = Platform(infra.kafka_bootstrap, urls, topics)
    found.engines = {s: create_engine(urls[s], pool_size=4) for s in SERVICES}
    yield found
    for engine in found.engines.values():
        await engine.dispose()


@pytest.fixture
def orderctl(platform: Platform) -> Invoke:
    """Runs `orderctl ARGS` against the platform."""

    async def invoke(
        *args: str,
        catalog: Catalog | None = None,
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        return await run_cli(platform, *args, catalog=catalog, input=input, env=env)

    return invoke

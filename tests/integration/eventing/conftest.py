"""Fixtures for eventing's integration tests: a migrated database, its engine and a store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.database import create_engine
from eventing.migrate import upgrade_async
from eventing.store import EventStore

DatabaseFactory = Callable[[], Awaitable[str]]


@pytest.fixture
async def database_url(database_factory: DatabaseFactory) -> str:
    """A brand-new database with eventing's tables migrated to head."""
    url = await database_factory()
    await upgrade_async(url)
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=20, max_overflow=20)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> EventStore:
    return EventStore(engine, topic="test.unset")

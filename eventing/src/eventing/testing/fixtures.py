"""pytest fixtures for services on the real infrastructure: a migrated database and its engine.

They build on localinfra's `database_factory`. Use them from a conftest with
`from eventing.testing.fixtures import eventing_engine, migrated_database`; a service then runs
its own read-model migrations on `migrated_database`. Topics come from `topic_factory`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.database import create_engine

MigratedDatabaseFactory = Callable[[str], Awaitable[str]]


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

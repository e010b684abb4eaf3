"""Fixtures for eventing's integration tests: names for the kit's database and engine, a store."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.store import EventStore


@pytest.fixture
def database_url(migrated_database: str) -> str:
    return migrated_database


@pytest.fixture
def engine(eventing_engine: AsyncEngine) -> AsyncEngine:
    return eventing_engine


@pytest.fixture
def store(engine: AsyncEngine) -> EventStore:
    return EventStore(engine, topic="test.unset")

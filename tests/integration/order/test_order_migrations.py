"""The order service's migration creates exactly the tables its code defines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

import order_service.application.state_tables  # noqa: F401  (registers the state tables)
from eventing.migrate import upgrade_service_async
from eventing.testing.migrations import schema_drift
from order_service.projections.tables import metadata

pytestmark = pytest.mark.integration

DatabaseFactory = Callable[[], Awaitable[str]]


async def test_the_migrated_schema_matches_the_table_definitions(
    database_factory: DatabaseFactory,
) -> None:
    url = await database_factory()
    await upgrade_service_async(url, "order")

    assert await schema_drift(url, metadata) == []

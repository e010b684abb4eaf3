"""The dashboard's migration creates exactly the tables its code defines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from dashboard_service.projections.tables import metadata
from eventing.migrate import upgrade_service_async
from eventing.testing.migrations import schema_drift

pytestmark = pytest.mark.integration


async def test_the_migrated_schema_matches_the_table_definitions(
    database_factory: Callable[[], Awaitable[str]],
) -> None:
    url = await database_factory()
    await upgrade_service_async(url, "dashboard")

    assert await schema_drift(url, metadata) == []

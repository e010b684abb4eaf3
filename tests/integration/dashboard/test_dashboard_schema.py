"""The dashboard's migration creates exactly the tables its code defines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from dashboard_service.projections.tables import metadata
from eventing.database import create_engine
from eventing.migrate import upgrade_service_async

pytestmark = pytest.mark.integration


async def test_the_migrated_schema_matches_the_table_definitions(
    database_factory: Callable[[], Awaitable[str]],
) -> None:
    url = await database_factory()
    await upgrade_service_async(url, "dashboard")

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_server_default": False, "compare_type": True}
        )
        return [d for d in compare_metadata(context, metadata) if "alembic_version" not in str(d)]

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()

"""eventing's migrations: the CLI the launcher calls, and no drift from the Core schema."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.database import create_engine
from eventing.schema import SCHEMA, metadata

pytestmark = pytest.mark.integration

DatabaseFactory = Callable[[], Awaitable[str]]


async def test_the_migrate_command_creates_eventing_tables_with_their_own_version_table(
    database_factory: DatabaseFactory,
) -> None:
    url = await database_factory()
    command = [sys.executable, "-m", "eventing.migrate", "--database-url", url]

    for _ in range(2):  # running it again is a no-op
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = set(
                (
                    await connection.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                        {"s": SCHEMA},
                    )
                ).scalars()
            )
            public = await connection.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
    finally:
        await engine.dispose()
    assert {"events", "streams", "alembic_version", "deadlines"} <= tables
    assert public == 0


async def test_the_migrated_schema_matches_the_core_table_definitions(engine: AsyncEngine) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": lambda name, kind, _: kind != "schema" or name == SCHEMA,
                "compare_server_default": False,
            },
        )
        found = compare_metadata(context, metadata)
        # Only real structural drift counts: missing or extra tables and columns.
        return [d for d in found if isinstance(d, tuple) and d[0] in {
            "add_table", "remove_table", "add_column", "remove_column"}]  # fmt: skip

    async with engine.connect() as connection:
        drift = await connection.run_sync(differences)

    assert [d for d in drift if "alembic_version" not in str(d)] == []

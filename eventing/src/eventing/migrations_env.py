"""The Alembic environment every migration directory runs: eventing's and each service's.

A service's `migrations/env.py` is two lines: import its read-model metadata and call
`run_migrations(metadata, version_table="alembic_version_<service>")`. Each directory keeps its
own version table, so eventing's schema and a service's read models upgrade independently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alembic import context
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from eventing.database import sqlalchemy_url


def _only_schema(schema: str | None) -> Callable[[str | None, str, object], bool]:
    """Autogenerate compares only the metadata's own schema (`public` for a service), so a
    service's revision never proposes dropping eventing's tables, nor eventing a service's."""
    wanted = {schema} if schema else {None, "public"}

    def include(name: str | None, kind: str, _: object) -> bool:
        return kind != "schema" or name in wanted

    return include


def run_migrations(
    metadata: MetaData, *, version_table: str, version_table_schema: str | None = None
) -> None:
    """Run the pending migrations of the current Alembic script directory (online, async)."""

    def run(connection: Connection) -> None:
        if version_table_schema:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{version_table_schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            version_table_schema=version_table_schema,
            include_schemas=True,
            include_name=_only_schema(metadata.schema),
        )
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        url = sqlalchemy_url(context.config.get_main_option("sqlalchemy.url") or "")
        engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(online())

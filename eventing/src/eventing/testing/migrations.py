"""A service's migrations against its table definitions: what Alembic's autogenerate would
still change after `upgrade` (empty: the migrations create exactly the declared tables)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData

from eventing.database import create_engine


async def schema_drift(database_url: str, metadata: MetaData) -> list[object]:
    """Differences between the migrated database and `metadata` (types compared, server
    defaults not; Alembic's own version tables left out)."""

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_server_default": False, "compare_type": True}
        )
        return [d for d in compare_metadata(context, metadata) if "alembic_version" not in str(d)]

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(differences)
    finally:
        await engine.dispose()

"""Connection helpers: DSN forms for asyncpg and SQLAlchemy, and the async engine factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_

from eventing.events import decode_json

T = TypeVar("T")

_SQLALCHEMY_SCHEME = "postgresql+asyncpg://"
_PLAIN_SCHEMES = ("postgresql://", "postgres://")


def sqlalchemy_url(dsn: str) -> str:
    """The DSN in the `postgresql+asyncpg://` form SQLAlchemy's async engine needs."""
    for scheme in _PLAIN_SCHEMES:
        if dsn.startswith(scheme):
            return _SQLALCHEMY_SCHEME + dsn[len(scheme) :]
    return dsn


def asyncpg_dsn(url: str) -> str:
    """The DSN in the plain `postgresql://` form asyncpg (and LISTEN/NOTIFY) accepts."""
    if url.startswith(_SQLALCHEMY_SCHEME):
        return "postgresql://" + url[len(_SQLALCHEMY_SCHEME) :]
    return url


def create_engine(dsn: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    """An async engine on the service database; accepts either DSN form. Statement errors and
    SQLAlchemy's logging never show the parameters (they hold personal data).

    `pool_pre_ping` stays: a check of the connection without a round trip (asyncpg's
    `is_closed()`) misses a connection the server terminated a moment ago, before the event loop
    read its socket, and the next statement fails
    (`test_a_subscription_whose_connections_are_terminated_applies_every_event_once`). The ping
    is one round trip (`_ping`), not the asyncpg dialect's three (BEGIN, an empty query,
    ROLLBACK: shaped for pgbouncer's transaction pooling, which the services do not sit behind).

    json/jsonb columns decode with `decode_json` (orjson, same result as the stdlib); what the
    engine writes keeps SQLAlchemy's stdlib encoder."""
    engine = create_async_engine(
        sqlalchemy_url(dsn),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        hide_parameters=True,
        json_deserializer=decode_json,
    )
    engine.dialect.do_ping = _ping  # type: ignore[method-assign]
    return engine


@asynccontextmanager
async def single_statements(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection on which each statement commits on its own: for work that is one statement
    (a read of one row, one INSERT) it saves the BEGIN and COMMIT/ROLLBACK round trips."""
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


def _ping(dbapi_connection: Any) -> bool:
    """The pool's checkout check in one round trip: `SELECT 1` as a simple query (no prepared
    statement; asyncpg fails on the empty query's answer there), outside any transaction.
    A failure goes through the adapted connection's own error handling, so the pool sees a
    disconnect as one and replaces the connection (as with the dialect's ping)."""
    try:
        await_(dbapi_connection.driver_connection.execute("SELECT 1"))
    except Exception as error:
        dbapi_connection._handle_exception(error)
    return True


class RawStatement:
    """One SQL statement (`$1`-style parameters) run on the asyncpg connection beneath a
    SQLAlchemy `AsyncConnection`, in that connection's transaction: for the statements every
    command runs, where SQLAlchemy's compile, cache-key and bind/result processing cost two to
    three times what the statement costs through asyncpg. asyncpg prepares the text once per
    connection (its statement cache) and runs it in one round trip after that.

    The values are what asyncpg takes (json/jsonb as JSON text, decoded with `decode_json` when
    read: the engine's codecs), the rows asyncpg records. Errors are SQLAlchemy's, as if the
    statement had gone through the engine: a database error as `DBAPIError` (its subclass, e.g.
    `IntegrityError`, with the driver's error as `orig`), and a connection found closed is
    invalidated, so the pool replaces it and `connection_invalidated` says so."""

    __slots__ = ("sql",)

    def __init__(self, sql: str) -> None:
        self.sql = sql

    async def fetch(self, connection: AsyncConnection, *args: Any) -> list[asyncpg.Record]:
        """All rows of the statement."""
        return await _on_driver(connection, self.sql, lambda driver: driver.fetch(self.sql, *args))

    async def fetchrow(self, connection: AsyncConnection, *args: Any) -> asyncpg.Record | None:
        """The first row (None for none)."""
        return await _on_driver(
            connection, self.sql, lambda driver: driver.fetchrow(self.sql, *args)
        )

    async def execute(self, connection: AsyncConnection, *args: Any) -> str:
        """Run it for its effect; the command tag (e.g. `UPDATE 1`)."""
        return await _on_driver(
            connection, self.sql, lambda driver: driver.execute(self.sql, *args)
        )


async def _on_driver(
    connection: AsyncConnection,
    sql: str,
    run: Callable[[asyncpg.Connection], Awaitable[T]],
) -> T:
    """`run` on the driver connection, inside the transaction SQLAlchemy has begun on it.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement it runs; a raw
    statement that comes first starts it the same way (a no-op on an autocommit connection), so
    it is never outside the caller's transaction. The adapter's lock keeps it from overlapping
    a statement SQLAlchemy runs on the same connection."""
    pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection  # sqlalchemy's AsyncAdapt_asyncpg_connection
    async with adapted._execute_mutex:
        try:
            if adapted._transaction is None:
                await adapted._start_transaction()
            return await run(adapted._connection)
        except Exception as error:
            failure = error
    raise await _as_sqlalchemy_error(connection, adapted, sql, failure)


async def _as_sqlalchemy_error(
    connection: AsyncConnection, adapted: Any, sql: str, error: Exception
) -> Exception:
    """What SQLAlchemy's `Connection` would have raised for `error` (see `RawStatement`)."""
    dialect = connection.dialect
    dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
    translated = error
    if not isinstance(error, dbapi_error):
        try:
            adapted._handle_exception(error)  # raises the adapter's DBAPI form of a driver error
        except Exception as raised:
            translated = raised
    disconnected = bool(dialect.is_disconnect(cast(Any, translated), adapted, None))
    if disconnected:
        await connection.invalidate(translated)
    if not isinstance(translated, dbapi_error):
        return translated  # not the database's (e.g. OSError): as it was raised
    wrapped = DBAPIError.instance(
        sql,
        None,
        translated,
        dbapi_error,
        hide_parameters=True,
        connection_invalidated=disconnected,
        dialect=dialect,
    )
    wrapped.__cause__ = translated
    return wrapped

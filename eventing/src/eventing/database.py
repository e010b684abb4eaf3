"""Connection helpers: DSN forms for asyncpg and SQLAlchemy, and the async engine factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_

from eventing.events import decode_json

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

"""Connection helpers: DSN forms for asyncpg and SQLAlchemy, and the async engine factory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

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

    A pooled connection is checked without a round trip when it is taken (`_closed_on_checkout`)
    instead of with SQLAlchemy's `pool_pre_ping`, which costs three (BEGIN, an empty query,
    ROLLBACK: a ping shaped for pgbouncer's transaction mode) on every checkout, a quarter of
    the round trips of a payment. A connection the server closed (a restart) is seen closed by
    asyncpg as soon as its socket reads the end of stream; one that dies later still fails its
    first statement, which the pool then treats as a disconnect (every older connection is
    replaced) and the caller sees as a retryable 503 or a worker retry."""
    engine = create_async_engine(
        sqlalchemy_url(dsn),
        pool_size=pool_size,
        max_overflow=max_overflow,
        hide_parameters=True,
    )
    event.listen(engine.sync_engine.pool, "checkout", _closed_on_checkout)
    return engine


def _closed_on_checkout(
    dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    driver = record.driver_connection
    if driver is not None and driver.is_closed():
        # The pool discards this connection and takes (or opens) another, up to three times.
        raise DisconnectionError("the database closed this pooled connection")

"""Connection helpers: DSN forms for asyncpg and SQLAlchemy, and the async engine factory."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

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

    `pool_pre_ping` costs three round trips per checkout (BEGIN, an empty query, ROLLBACK: the
    asyncpg dialect's ping, shaped for pgbouncer) and stays: a check of the connection without
    a round trip (asyncpg's `is_closed()`) misses a connection the server terminated a moment
    ago, before the event loop read its socket, and the next statement fails
    (`test_a_subscription_whose_connections_are_terminated_applies_every_event_once`)."""
    return create_async_engine(
        sqlalchemy_url(dsn),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        hide_parameters=True,
    )

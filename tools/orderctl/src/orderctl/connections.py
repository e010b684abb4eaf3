"""Opening the service databases and the broker, with one-line errors naming which and where."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from eventing.database import asyncpg_dsn, create_engine
from orderctl.errors import Unreachable
from orderctl.settings import OrderctlSettings, Owner, database_location


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


async def check_database(settings: OrderctlSettings, service: Owner) -> None:
    """Raise `Unreachable` unless the service's database answers and holds eventing's tables."""
    dsn = settings.database(service)
    where = f"the {service.value} database at {database_location(dsn)}"
    try:
        connection = await asyncio.wait_for(
            asyncpg.connect(asyncpg_dsn(dsn)), settings.connect_timeout
        )
    except TimeoutError:
        raise Unreachable(
            f"cannot reach {where}: no answer within {settings.connect_timeout:g}s"
        ) from None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as error:
        raise Unreachable(f"cannot reach {where}: {_reason(error)}") from None
    try:
        migrated = await connection.fetchval("SELECT to_regclass('eventing.events') IS NOT NULL")
    finally:
        await connection.close()
    if not migrated:
        raise Unreachable(f"{where} has no eventing tables (not migrated?)")


@asynccontextmanager
async def service_engine(settings: OrderctlSettings, service: Owner) -> AsyncIterator[AsyncEngine]:
    """An engine on the service's database, checked first; a lost connection is reported too."""
    await check_database(settings, service)
    engine = create_engine(settings.database(service), pool_size=4, max_overflow=4)
    try:
        yield engine
    except DBAPIError as error:
        if not error.connection_invalidated and not isinstance(error.orig, OSError):
            raise
        location = database_location(settings.database(service))
        raise Unreachable(
            f"lost the {service.value} database at {location}: {_reason(error.orig or error)}"
        ) from None
    finally:
        await engine.dispose()


def broker_unreachable(settings: OrderctlSettings, error: BaseException) -> Unreachable:
    return Unreachable(f"cannot reach Kafka at {settings.bootstrap}: {_reason(error)}")


@asynccontextmanager
async def _broker_session(
    settings: OrderctlSettings,
    start: Callable[[], Awaitable[object]],
    stop: Callable[[], Awaitable[object]],
) -> AsyncIterator[None]:
    """A Kafka client started within the connect timeout and stopped after; the broker's
    errors, at start or later, become `Unreachable` naming the bootstrap servers."""
    try:
        await asyncio.wait_for(start(), settings.connect_timeout)
    except (KafkaError, OSError, TimeoutError) as error:
        await stop()
        raise broker_unreachable(settings, error) from None
    try:
        yield
    except (KafkaError, OSError) as error:
        raise broker_unreachable(settings, error) from None
    finally:
        await stop()


@asynccontextmanager
async def kafka_admin(settings: OrderctlSettings) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client on the broker, or `Unreachable` naming the bootstrap servers."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap,
        request_timeout_ms=int(settings.connect_timeout * 1000),
    )
    async with _broker_session(settings, admin.start, admin.close):
        yield admin


@asynccontextmanager
async def kafka_consumer(settings: OrderctlSettings) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer without a group (manual assignment, nothing committed)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        enable_auto_commit=False,
        group_id=None,
        request_timeout_ms=max(int(settings.connect_timeout * 1000), 10_000),
    )
    async with _broker_session(settings, consumer.start, consumer.stop):
        yield consumer

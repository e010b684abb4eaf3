"""pytest fixtures giving tests the real PostgreSQL and Kafka (see localinfra.testing)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiokafka.errors import KafkaError

from eventing.migrate import upgrade_async, upgrade_service_async
from eventing.topics import connect_admin, replicated_topics
from localinfra.testing import FaultInjector, InfraEndpoints, InfraSession

DatabaseFactory = Callable[[], Awaitable[str]]
TopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture(scope="session")
def infra() -> Iterator[InfraEndpoints]:
    """The session's infrastructure, started on first use and stopped at the end."""
    session = InfraSession()
    try:
        yield session.start()
    finally:
        session.stop()


@pytest.fixture
async def database_factory(infra: InfraEndpoints) -> AsyncIterator[DatabaseFactory]:
    """Creates brand-new empty databases (DSNs returned); drops them after the test."""
    created: list[str] = []

    async def create() -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        created.append(name)
        return await infra.create_database(name)

    yield create
    if created:
        await infra.drop_databases(created)


class _MigratedTemplates:
    """One migrated template database per service for the session; tests get cheap copies.

    `CREATE DATABASE … TEMPLATE` copies a migrated database in a fraction of the time running
    the migrations again takes, and each test still gets a database of its own.
    """

    def __init__(self, infra: InfraEndpoints) -> None:
        self._infra = infra
        self._templates: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def template(self, service: str) -> str:
        async with self._lock:
            if service not in self._templates:
                name = f"tmpl_{service}_{uuid.uuid4().hex[:10]}"
                url = await self._infra.create_database(name)
                if service == "eventing":
                    await upgrade_async(url)
                else:
                    await upgrade_service_async(url, service)
                self._templates[service] = name
            return self._templates[service]

    async def drop_all(self) -> None:
        if self._templates:
            await self._infra.drop_databases(self._templates.values())


@pytest.fixture(scope="session")
async def _migrated_templates(infra: InfraEndpoints) -> AsyncIterator[_MigratedTemplates]:
    templates = _MigratedTemplates(infra)
    yield templates
    await templates.drop_all()


@pytest.fixture
async def migrated_database_factory(
    infra: InfraEndpoints, _migrated_templates: _MigratedTemplates
) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """`await create("order")`: a brand-new database with eventing's tables and the service's
    read models at their latest migration (`"eventing"` for eventing's tables only); dropped
    after the test."""
    created: list[str] = []

    async def create(service: str) -> str:
        template = await _migrated_templates.template(service)
        name = f"t_{uuid.uuid4().hex[:16]}"
        created.append(name)
        return await infra.create_database(name, template=template)

    yield create
    if created:
        await infra.drop_databases(created)


@pytest.fixture
async def topic_factory(infra: InfraEndpoints) -> AsyncIterator[TopicFactory]:
    """Creates brand-new topics (names returned); deletes them after the test."""
    created: list[str] = []

    async def create(partitions: int = 3) -> str:
        name = f"test.{uuid.uuid4().hex[:12]}"
        admin = await connect_admin(infra.kafka_bootstrap)
        try:
            await admin.create_topics(await replicated_topics(admin, [name], partitions))
        finally:
            await admin.close()
        created.append(name)
        return name

    yield create
    if created:
        try:
            admin = await connect_admin(infra.kafka_bootstrap, timeout=10)
        except (KafkaError, OSError):
            return  # cleanup only: unique names never collide, a broker left down is reported
        try:
            # Dead-letter topics a test's subscriptions created go with their source topic.
            existing = await admin.list_topics()
            doomed = [t for t in existing if any(t.startswith(f"{c}.dlq.") for c in created)]
            await admin.delete_topics([*created, *doomed])
        finally:
            await admin.close()


@pytest.fixture
async def fault_injector(infra: InfraEndpoints) -> AsyncIterator[FaultInjector]:
    """Stops/kills/pauses/restarts the real broker and server; skips where the backend can't.

    Whatever a test leaves stopped or paused is started again afterwards, so one failing fault test
    cannot take the rest of the session down with it.
    """
    if infra.faults is None:
        pytest.skip(f"the {infra.backend} backend cannot stop and restart infrastructure")
    yield infra.faults
    await infra.faults.resume_kafka()
    await infra.faults.start_postgres()
    await infra.faults.start_kafka()
